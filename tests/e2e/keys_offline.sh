#!/usr/bin/env bash
# The master key offline from the start, and `issuer serve` holding no
# private key (issue 17; docs/operations.md "The key ceremony"):
#   - `issuer init` writes the master key to its file (0600, never
#     overwritten) after the first ceremony, and no cell of any table of the
#     issuer database, nor any byte of its files, holds it;
#   - after `issuer signer import` no cell holds an online key's seed or the
#     box key either;
#   - the memory of a running `issuer serve --signer` (read through
#     /proc/PID/mem, every readable mapping) holds neither the master seed,
#     nor an online seed, nor the box key, while the signer's memory does
#     hold the online seeds (the scan finds what is there);
#   - a database made when init stored the master seed: serve refuses it
#     (KEY_MASTER_IN_DB), `issuer keys export-master` moves the seed to a
#     file and leaves no byte of it in the database files, serve starts;
#   - keys imported while serve runs are used without a restart, and before
#     them every signature is KEY_ONLINE_MISSING;
#   - a certificate never outlives the key that signed it, and a one-year
#     certificate made on the last day of a key's use keeps its year.
. "$(dirname "$0")/lib.sh"

export OBOL_TEST_CLOCK=$T/clock
set_clock() { echo "$1" >"$OBOL_TEST_CLOCK.new" && mv "$OBOL_TEST_CLOCK.new" "$OBOL_TEST_CLOCK"; }
set_clock 0
DB=sqlite:$T/issuer.db
SDB=sqlite:$T/signer.db
SOCK=$T/signer.sock

# How many of the hex secrets (args after the file) the raw bytes of the
# given files hold (the database, its write-ahead log, freed pages included).
raw_found() {
  python3 - "$@" <<'PY'
import sys, os
files, secrets = [], []
for a in sys.argv[1:]:
    (secrets if all(c in "0123456789abcdefABCDEF" for c in a) and len(a) >= 32 else files).append(a)
data = b"".join(open(f, "rb").read() for f in files if os.path.exists(f))
print(sum(1 for s in secrets if bytes.fromhex(s) in data or bytes.fromhex(s)[8:24] in data))
PY
}
# How many of the hex secrets the memory of process $1 holds: every
# readable mapping of /proc/PID/mem (ptrace access: same user, and the
# process is this shell's descendant), read in 16 MiB pieces that overlap by
# a secret's length. A mapping over 1 GiB is left out: only the shadow
# memory of a sanitizer build (make asan) is that large, and it holds no
# copy of the program's bytes; an obol process has no other. Prints
# "unreadable" when the kernel refuses.
mem_found() {
  python3 - "$@" <<'PY'
import sys
pid, secrets = sys.argv[1], [bytes.fromhex(s) for s in sys.argv[2:]]
needles = [n for s in secrets for n in (s, s[8:24])]
keep = max(len(n) for n in needles) - 1
found, regions, read = set(), 0, 0
try:
    mem = open(f"/proc/{pid}/mem", "rb", 0)
except OSError:
    print("unreadable"); sys.exit()
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    lo, hi = (int(x, 16) for x in parts[0].split("-"))
    if parts[1][0] != "r" or (len(parts) > 5 and parts[5] == "[vvar]") or hi - lo > 1 << 30:
        continue
    tail, at, got = b"", lo, 0
    while at < hi:
        try:
            mem.seek(at)
            piece = mem.read(min(16 << 20, hi - at))
        except OSError:
            break
        if not piece:
            break
        got += len(piece)
        chunk = tail + piece
        for i, s in enumerate(secrets):
            if s in chunk or s[8:24] in chunk:
                found.add(i)
        tail = chunk[-keep:]
        at += len(piece)
    if got:
        regions += 1
        read += got
print(len(found) if regions > 0 and read > 0 else "unreadable")
PY
}

# ---- init: the master key goes to its file, never to the database ----------
out=$("$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 2>&1)
MK=$(field master-key-file "$out")
[ "$MK" = "$T/issuer.db.master-key" ] && [ "$(stat -c %a "$MK")" = 600 ] && [ "$(field announced "$out")" = "4 keys" ] \
  && pass init_writes_master_key_file_and_holds_the_ceremony || fail init_writes_master_key_file_and_holds_the_ceremony "$out"
MASTER=$(master_key_hex "$MK")
expect_error IO "$OBOL" issuer init --db "sqlite:$T/other.db" --currency EUR --master-key "$MK" \
  && [ "$(master_key_hex "$MK")" = "$MASTER" ] && [ ! -e "$T/other.db.master-key" ] \
  && pass master_key_file_never_overwritten || fail master_key_file_never_overwritten
out=$("$OBOL" issuer init --db "postgresql://nowhere/obol" --currency EUR 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'master-key FILE is required' <<<"$out" \
  && pass postgres_needs_a_master_key_file || fail postgres_needs_a_master_key_file "$rc $out"
db_cells_hex "$T/issuer.db" >"$T/cells.hex"
[ -s "$T/cells.hex" ] && [ "$(hex_secrets_found "$T/cells.hex" <<<"$MASTER")" = 0 ] \
  && [ "$(raw_found "$T/issuer.db" "$T/issuer.db-wal" "$MASTER")" = 0 ] \
  && pass database_holds_no_master_key || fail database_holds_no_master_key
list=$("$OBOL" issuer keys list --db "$DB")
grep -q '^serial 1: in-use online' <<<"$list" && grep -q '^serial 2: next online' <<<"$list" \
  && ! grep -q 'unsigned\|^warning' <<<"$list" && pass init_ceremony_covers_now_and_lookahead \
  || fail init_ceremony_covers_now_and_lookahead "$list"
expect_error KEY_MASTER_OFFLINE "$OBOL" issuer keys export-master --db "$DB" --out "$T/again.key" \
  && [ ! -e "$T/again.key" ] && pass export_master_finds_none || fail export_master_finds_none

# ---- the online keys move to the signing process ------------------------------
ONLINE=$(sqlite3 "$T/issuer.db" "SELECT hex(seed) FROM online_keys")
BOX=$(sqlite3 "$T/issuer.db" "SELECT hex(box_sk) FROM issuer_keys")
[ "$(wc -l <<<"$ONLINE")" = 2 ] || fail online_seeds_read "$ONLINE"
# Before: issuer serve without a signer holds the online keys (the scan
# finds them: its control) and still not the master key.
start inproc issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail serve_in_process; exit 1; }
curl -sf "$inproc_URL/keys" >/dev/null || fail keys_document_served_in_process
in_online=$(mem_found "$inproc_PID" $ONLINE)
in_master=$(mem_found "$inproc_PID" "$MASTER")
[ "$in_online" = 2 ] && [ "$in_master" = 0 ] && pass serve_in_process_holds_online_keys_not_the_master   || fail serve_in_process_holds_online_keys_not_the_master "online $in_online of 2, master $in_master"
stop inproc
"$OBOL" issuer signer import --db "$SDB" --from "$DB" >/dev/null 2>&1 || fail signer_import
db_cells_hex "$T/issuer.db" >"$T/cells.hex"
[ "$(hex_secrets_found "$T/cells.hex" <<<"$MASTER"$'\n'"$ONLINE"$'\n'"$BOX")" = 0 ] \
  && pass no_cell_holds_a_private_key_after_signer_import || fail no_cell_holds_a_private_key_after_signer_import

start signer issuer signer --db "$SDB" --socket "$SOCK" || { fail signer_starts; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --signer "$SOCK" || { fail serve_with_signer; exit 1; }
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL" 2>&1)
check vendor_certified_through_signer "$OBOL" issuer vendor add --db "$DB" --name shop \
  --vendor-key "$(field vendor-key "$out")" --box-key "$(field box-key "$out")" --signer "$SOCK"
# the daemon signs (GET /keys, a wallet pinning the master key verifies it),
# then its memory is read whole
check wallet_verifies_online_signed_keys "$OBOL" wallet init --wallet "$T/w.wallet" --issuer "$issuer_URL" --account alice
curl -sf "$issuer_URL/keys" >/dev/null || fail keys_document_served
secrets=$(printf '%s\n' "$MASTER" $ONLINE "$BOX" | tr '\n' ' ')
in_serve=$(mem_found "$issuer_PID" $secrets)
in_signer=$(mem_found "$signer_PID" $ONLINE)
[ "$in_serve" = 0 ] && [ "$in_signer" = 2 ] && pass serve_memory_holds_no_private_key \
  || fail serve_memory_holds_no_private_key "serve: $in_serve of 4 found; signer (control): $in_signer of 2"
echo "# memory scan: /proc/$issuer_PID/mem of issuer serve --signer: $in_serve of 4 secrets (master seed, 2 online seeds, box key); control /proc/$signer_PID/mem of the signer: $in_signer of 2 online seeds"
stop issuer
stop signer

# ---- a database made when init stored the master seed ------------------------
DB2=sqlite:$T/old.db
"$OBOL" issuer init --db "$DB2" --currency EUR --master-key "$T/old.key" >/dev/null || fail old_init
OLD=$(master_key_hex "$T/old.key")
rm -f "$T/old.key"
sqlite3 "$T/old.db" "UPDATE issuer_keys SET master_seed = X'$OLD', master_pk = NULL"
# (the scans' control: the seed is found while it is there)
db_cells_hex "$T/old.db" >"$T/old.hex"
[ "$(raw_found "$T/old.db" "$T/old.db-wal" "$OLD")" = 1 ] && [ "$(hex_secrets_found "$T/old.hex" <<<"$OLD")" != 0 ] \
  && pass scans_find_a_stored_master_seed || fail scans_find_a_stored_master_seed
expect_error KEY_MASTER_IN_DB timeout 30 "$OBOL" issuer serve --db "$DB2" --listen 127.0.0.1:0 \
  && pass serve_refuses_a_database_holding_the_master_key || fail serve_refuses_a_database_holding_the_master_key
out=$("$OBOL" issuer keys export-master --db "$DB2" --out "$T/moved.key" 2>&1)
[ "$(field removed-from-database "$out")" = yes ] && [ "$(master_key_hex "$T/moved.key")" = "$OLD" ] \
  && [ "$(stat -c %a "$T/moved.key")" = 600 ] && [ "$(raw_found "$T/old.db" "$T/old.db-wal" "$OLD")" = 0 ] \
  && [ "$(sqlite3 "$T/old.db" "SELECT length(master_seed) FROM issuer_keys")" = 0 ] \
  && pass export_master_moves_the_seed_out || fail export_master_moves_the_seed_out "$out"
start old issuer serve --db "$DB2" --listen 127.0.0.1:0 && curl -sf "$old_URL/keys" >/dev/null \
  && pass serve_starts_once_the_seed_is_out || fail serve_starts_once_the_seed_is_out
stop old

# ---- keys imported while serve runs ------------------------------------------
DB3=sqlite:$T/late.db
"$OBOL" issuer init --db "$DB3" --currency EUR --master-key "$T/late.key" --no-ceremony >/dev/null || fail late_init
start late issuer serve --db "$DB3" --listen 127.0.0.1:0 || { fail late_serve; exit 1; }
grep -q 'no online signing key is usable now' "$T/late.log" && pass serve_warns_without_online_key \
  || fail serve_warns_without_online_key "$(cat "$T/late.log")"
code=$(curl -s -o "$T/late.json" -w '%{http_code}' "$late_URL/keys")
[ "$code" = 503 ] && grep -q KEY_ONLINE_MISSING "$T/late.json" && pass no_online_key_is_a_named_error \
  || fail no_online_key_is_a_named_error "$code $(cat "$T/late.json")"
{ "$OBOL" issuer keys export-requests --db "$DB3" --out "$T/late-req.json" \
  && "$OBOL" offline sign --master-key "$T/late.key" --in "$T/late-req.json" --out "$T/late-sig.json" \
  && "$OBOL" issuer keys import --db "$DB3" --in "$T/late-sig.json"; } >/dev/null 2>&1 || fail late_ceremony
ok=0
for i in $(seq 1 100); do
  curl -sf "$late_URL/keys" >/dev/null && { ok=1; break; }
  sleep 0.1
done
[ $ok = 1 ] && pass keys_imported_while_serving_are_used || fail keys_imported_while_serving_are_used
stop late

# ---- certificates and their signing key's window ------------------------------
# The first online key signs from its ceremony F until F + 90 days and is
# accepted until F + 90 + 366 days.
late_list=$("$OBOL" issuer keys list --db "sqlite:$T/late.db")
late_from=$(sed -n 's/^serial 1: in-use online key [0-9a-f]* from \([0-9]*\) .*/\1/p' <<<"$late_list")
late_accept=$(sed -n 's/^serial 1: in-use online key .* accept-until \([0-9]*\)$/\1/p' <<<"$late_list")
out=$("$OBOL" vendor init --dir "$T/long" --issuer http://127.0.0.1:1 2>&1)
got=$("$OBOL" issuer vendor add --db "sqlite:$T/late.db" --name long --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --valid-days 3650 2>&1)
[ -n "$late_accept" ] && [ "$(field valid-until "$got")" = "$late_accept" ] \
  && pass ten_year_certificate_cut_at_key_acceptance || fail ten_year_certificate_cut_at_key_acceptance "$got / $late_accept"
# day 89 and a half: the first key's last day of use; a one-year certificate keeps its year
set_clock $((89 * 86400 + 43200))
out=$("$OBOL" vendor init --dir "$T/lastday" --issuer http://127.0.0.1:1 2>&1)
got=$("$OBOL" issuer vendor add --db "sqlite:$T/late.db" --name lastday --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --valid-days 365 2>&1)
until=$(field valid-until "$got")
[ -n "$until" ] && [ -n "$late_from" ] && [ $((until - late_from - 89 * 86400 - 43200)) -ge $((365 * 86400)) ] \
  && [ "$until" -lt "$late_accept" ] \
  && pass year_certificate_on_keys_last_day_keeps_its_year || fail year_certificate_on_keys_last_day_keeps_its_year "$got"
