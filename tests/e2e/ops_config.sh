#!/usr/bin/env bash
# The config files with real processes: an issuer and a vendor set up and
# served from issuer.conf and vendor.conf alone (OBOL_CONFIG_DIR stands for
# /etc/obol), a flag winning over the file, --config and --no-config, a named
# error with file and line for an unknown key, no password in `config show`.
. "$(dirname "$0")/lib.sh"

export OBOL_CONFIG_DIR=$T/etc
mkdir -p "$OBOL_CONFIG_DIR"
cat >"$OBOL_CONFIG_DIR/issuer.conf" <<EOF
; every 'obol issuer' command, and 'obol audit'
db = sqlite:$T/issuer.db
currency = EUR

[serve]
listen = 127.0.0.1:0
threads = 2
EOF
cat >"$OBOL_CONFIG_DIR/vendor.conf" <<EOF
dir = $T/vendor

[serve]
listen = 127.0.0.1:0
max-links = 4
EOF

# The issuer from its file alone: init, serve, the audit.
out=$("$OBOL" issuer init 2>&1) && [ -e "$T/issuer.db" ] && pass init_from_file || fail init_from_file "$out"
start issuer issuer serve && pass serve_from_file || { fail serve_from_file; exit 1; }
out=$(curl -sf "$issuer_URL/keys") && pass issuer_answers || fail issuer_answers "$out"
out=$("$OBOL" issuer config show 2>&1)
printf '%s\n' "$out" | grep -Eq "^threads +2 +$OBOL_CONFIG_DIR/issuer.conf:7\$" \
  && printf '%s\n' "$out" | grep -Eq '^batch +64 +default$' \
  && pass config_show_sources || fail config_show_sources "$out"

# A flag wins: the same command on another database.
"$OBOL" issuer init --db "sqlite:$T/other.db" --currency XTS >/dev/null
out=$("$OBOL" audit 2>&1) && printf '%s\n' "$out" | grep -q EUR && ! printf '%s\n' "$out" | grep -q XTS \
  && pass audit_reads_the_file || fail audit_reads_the_file "$out"
out=$("$OBOL" audit --db "sqlite:$T/other.db" 2>&1) && printf '%s\n' "$out" | grep -q XTS \
  && pass flag_wins_over_file || fail flag_wins_over_file "$out"
out=$("$OBOL" issuer config show --threads 5 2>&1)
printf '%s\n' "$out" | grep -Eq '^threads +5 +flag$' && pass config_show_flag || fail config_show_flag "$out"

# The vendor from its file: its directory from vendor.conf, the issuer's URL
# added there once the issuer runs; the certificate fetched at start.
echo "issuer = $issuer_URL" >"$T/issuer-line"
sed -i "1r $T/issuer-line" "$OBOL_CONFIG_DIR/vendor.conf"
out=$("$OBOL" vendor init 2>&1) && [ -e "$T/vendor/vendor.keys" ] && pass vendor_init_from_file \
  || fail vendor_init_from_file "$out"
VKEY=$(field vendor-key "$out")
out=$("$OBOL" issuer vendor add --name shop --vendor-key "$VKEY" --box-key "$(field box-key "$out")" 2>&1) \
  && pass vendor_add_from_file \
  || fail vendor_add_from_file "$out"
start vendor vendor serve && pass vendor_serve_from_file || fail vendor_serve_from_file
out=$("$OBOL" vendor config show 2>&1)
printf '%s\n' "$out" | grep -Eq "^max-links +4 +$OBOL_CONFIG_DIR/vendor.conf:6\$" \
  && pass vendor_config_show || fail vendor_config_show "$out"

# An unknown key: a named error with the file and line, before anything runs;
# --no-config reads no file, --config another one.
cp "$OBOL_CONFIG_DIR/issuer.conf" "$T/good.conf"
printf 'thread = 4\n' >>"$OBOL_CONFIG_DIR/issuer.conf"
err=$("$OBOL" issuer serve 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && printf '%s\n' "$err" | grep -q "CONFIG_UNKNOWN_KEY: $OBOL_CONFIG_DIR/issuer.conf:8: unknown key 'thread'" \
  && pass unknown_key_named || fail unknown_key_named "rc $rc: $err"
expect_error CONFIG_UNKNOWN_KEY "$OBOL" audit && pass unknown_key_stops_every_command \
  || fail unknown_key_stops_every_command
check no_config_reads_none "$OBOL" audit --no-config --db "sqlite:$T/issuer.db"
check config_reads_another "$OBOL" audit --config "$T/good.conf"
expect_error CONFIG_UNREADABLE "$OBOL" audit --config "$T/nonexistent.conf" \
  && pass missing_config_named || fail missing_config_named

# A password in a URL never shows.
printf 'db = postgresql://obol:hunter2@127.0.0.1:1/obol?password=hunter3\n' >"$T/pg.conf"
out=$("$OBOL" issuer config show --config "$T/pg.conf" 2>&1)
printf '%s\n' "$out" | grep -q 'postgresql://obol:\*\*\*@127.0.0.1:1/obol?password=\*\*\*' \
  && ! printf '%s\n' "$out" | grep -q hunter && pass secrets_not_shown || fail secrets_not_shown "$out"

stop vendor
stop issuer
check audit_ok "$OBOL" audit --config "$T/good.conf"
