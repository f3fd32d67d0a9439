#!/usr/bin/env bash
# Builds the Debian package (dpkg-buildpackage -us -uc -b) from a clean copy of
# the tree in build-deb/, without the tests (DEB_BUILD_OPTIONS=nocheck), then
# unpacks it into a scratch root and checks what an operator gets: the
# installed obol runs, the units, users, directories, config files and man
# pages are where they belong, the example configs are valid for this obol,
# and the units pass systemd-analyze verify.
# Usage: scripts/deb.sh   (make deb installs its tools first)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
version=$(sed -n 's/^#define OBOL_VERSION "\(.*\)"$/\1/p' src/core/version.h)
changelog=$(dpkg-parsechangelog -S Version)
[ "$version" = "$changelog" ] || { echo "deb: debian/changelog says $changelog, src/core/version.h $version" >&2; exit 1; }

out=$PWD/build-deb
src=$out/obol-$version
rm -rf "$out"
mkdir -p "$src"
# The tracked and new files (not the build directories), as a clean checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$src"
else
  tar --exclude='./build*' -cf - . | tar -xf - -C "$src"
fi

echo "=== dpkg-buildpackage -us -uc -b (log: build-deb/build.log)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log"; echo "deb: the package did not build"; exit 1
fi
deb=$out/obol_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "deb: no $deb"; exit 1; }
built=$(date +%s)

root=$out/root
mkdir -p "$root" "$out/control"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$out/control"
fails=0
ok() { echo "PASS deb_$1"; }
ko() { echo "FAIL deb_$1${2:+: $2}"; fails=$((fails + 1)); }
has() { [ -f "$root$2" ] && ok "$1" || ko "$1" "no $2"; }

out_help=$("$root/usr/bin/obol" --help 2>&1) && printf '%s\n' "$out_help" | grep -q '^  issuer serve ' \
  && ok installed_obol_runs || ko installed_obol_runs "$out_help"
"$root/usr/bin/obol" version | grep -q "^obol $version " && ok installed_version || ko installed_version

for u in obol-issuer obol-vendor; do
  has "unit_$u" "/lib/systemd/system/$u.service"
  grep -q "^ExecStart=/usr/bin/obol ${u#obol-} serve\$" "$root/lib/systemd/system/$u.service" \
    && ok "unit_${u}_execstart" || ko "unit_${u}_execstart"
  for k in NoNewPrivileges=yes ProtectSystem=strict "User=$u" "StateDirectory=obol/${u#obol-}"; do
    grep -qx "$k" "$root/lib/systemd/system/$u.service" || ko "unit_${u}_hardening" "no $k"
  done
  # systemd reads every line: an unknown or misspelt key is a warning here.
  sed "s|/usr/bin/obol|$root/usr/bin/obol|" "$root/lib/systemd/system/$u.service" >"$out/$u.service"
  warn=$(systemd-analyze verify --man=no "$out/$u.service" 2>&1) && [ -z "$warn" ] \
    && ok "unit_${u}_verifies" || ko "unit_${u}_verifies" "$warn"
done
has sysusers /usr/lib/sysusers.d/obol.conf
has tmpfiles /usr/lib/tmpfiles.d/obol.conf
grep -q 'systemd-sysusers' "$out/control/postinst" && grep -q 'systemd-tmpfiles' "$out/control/postinst" \
  && ok postinst_users_and_dirs || ko postinst_users_and_dirs
[ "$(grep -n systemd-sysusers "$out/control/postinst" | head -1 | cut -d: -f1)" -lt \
  "$(grep -n systemd-tmpfiles "$out/control/postinst" | head -1 | cut -d: -f1)" ] \
  && ok postinst_users_before_dirs || ko postinst_users_before_dirs
# What the postinst makes, made in the scratch root: the two users, then
# their state directories, each owned by its user and closed to others.
if systemd-sysusers --root="$root" >"$out/sysusers.log" 2>&1 &&
   systemd-tmpfiles --root="$root" --create >"$out/tmpfiles.log" 2>&1; then
  for u in issuer vendor; do
    id=$(sed -n "s/^obol-$u:x:\([0-9]*\):\([0-9]*\):.*:\/var\/lib\/obol\/$u:.*nologin\$/\1:\2/p" "$root/etc/passwd")
    st=$(stat -c '%u:%g %a' "$root/var/lib/obol/$u" 2>/dev/null || true)
    [ -n "$id" ] && [ "$st" = "$id 700" ] && ok "user_and_dir_$u" || ko "user_and_dir_$u" "passwd '$id', dir '$st'"
  done
else
  ko users_and_dirs "$(cat "$out/sysusers.log" "$out/tmpfiles.log")"
fi
# Installed, not started, and enabled only where the admin had enabled them.
! grep -q 'deb-systemd-invoke' "$out/control/postinst" && ok services_not_started || ko services_not_started
[ "$(grep -c "if deb-systemd-helper debian-installed 'obol-" "$out/control/postinst")" -eq 2 ] \
  && ok services_not_enabled || ko services_not_enabled

for c in issuer vendor; do
  has "config_$c" "/etc/obol/$c.conf"
  grep -qx "/etc/obol/$c.conf" "$out/control/conffiles" && ok "conffile_$c" || ko "conffile_$c"
  shown=$(OBOL_CONFIG_DIR=$root/etc/obol "$root/usr/bin/obol" "$c" config show 2>&1) \
    && ok "config_${c}_valid" || ko "config_${c}_valid" "$shown"
done

has man_obol /usr/share/man/man1/obol.1.gz
has man_issuer_serve /usr/share/man/man1/obol-issuer-serve.1.gz
has man_vendor_serve /usr/share/man/man1/obol-vendor-serve.1.gz
has man_conf /usr/share/man/man5/obol.conf.5.gz
pages=$(ls "$root/usr/share/man/man1" | wc -l)
commands=$("$root/usr/bin/obol" --help | grep -c '^  ')
[ "$pages" -eq $((commands + 1)) ] && ok man_page_per_command || ko man_page_per_command "$pages pages, $commands commands"
warn=$(for p in "$root"/usr/share/man/man*/*.gz; do zcat "$p" | groff -man -Tutf8 -ww -z 2>&1 | sed "s|^|$p: |"; done)
[ -z "$warn" ] && ok man_pages_render || ko man_pages_render "$warn"
! find "$root" -path '*/obol-test' -o -path '*/obol-attack' | grep -q . && ok no_test_programs || ko no_test_programs

echo "deb: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) built in $((built - start)) s, checked in $(($(date +%s) - built)) s"
[ $fails -eq 0 ]
