#!/usr/bin/env bash
# The key ceremony with real commands (docs/operations.md "The key ceremony"):
# the issuer exports what needs the master key's signature, `obol offline
# sign` signs it with the master key file, the issuer imports the
# signatures; what a wrong master key, a changed byte or a request the
# issuer never made leaves behind (nothing); and the windows moving on under
# the test clock (src/core/clock.h), where the next online key is requested
# before the current one runs out.
. "$(dirname "$0")/lib.sh"

export OBOL_TEST_CLOCK=$T/clock
set_clock() { echo "$1" >"$OBOL_TEST_CLOCK.new" && mv "$OBOL_TEST_CLOCK.new" "$OBOL_TEST_CLOCK"; }
set_clock 0
DB=sqlite:$T/issuer.db
unsigned() { "$OBOL" issuer keys list --db "$DB" | grep -c ': unsigned ' || true; }

# the ceremony held by hand here: init writes the master key file and signs nothing
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-denom EUR:10,1000 \
  --master-key "$T/master.key" --no-ceremony >/dev/null
out=$("$OBOL" issuer keys export-requests --db "$DB" --out "$T/req.json" 2>&1)
# two online keys (now .. 90 days, 90 .. 180 days), two denominations, the bank key
[ "$(field new-requests "$out")" = 5 ] && [ "$(field requests "$out")" = 5 ] && pass export_requests \
  || fail export_requests "$out"
out=$("$OBOL" issuer keys export-requests --db "$DB" --out "$T/req2.json" 2>&1)
[ "$(field new-requests "$out")" = 0 ] && [ "$(field requests "$out")" = 5 ] && pass export_again_draws_nothing \
  || fail export_again_draws_nothing "$out"
[ "$(sqlite3 "$T/issuer.db" 'SELECT COUNT(*) FROM online_keys')" = 2 ] && pass online_keys_stored \
  || fail online_keys_stored

[ "$(stat -c %a "$T/master.key")" = 600 ] && pass master_key_file_private || fail master_key_file_private
expect_error KEY_MASTER_OFFLINE "$OBOL" issuer keys export-master --db "$DB" --out "$T/again.key" \
  && [ ! -e "$T/again.key" ] && pass no_master_key_in_database || fail no_master_key_in_database
expect_error IO "$OBOL" issuer init --db "sqlite:$T/third.db" --currency EUR --master-key "$T/master.key" \
  && pass master_key_file_never_overwritten || fail master_key_file_never_overwritten

# A master key of another issuer signs nothing of this one's requests.
"$OBOL" issuer init --db "sqlite:$T/other.db" --currency EUR --master-key "$T/other.key" --no-ceremony >/dev/null
expect_error KEY_MASTER_MISMATCH "$OBOL" offline sign --master-key "$T/other.key" --in "$T/req.json" \
  --out "$T/bad.json" && [ ! -e "$T/bad.json" ] && pass other_master_refused || fail other_master_refused

out=$("$OBOL" offline sign --master-key "$T/master.key" --in "$T/req.json" --out "$T/sig.json" 2>&1)
[ "$(field signed "$out")" = 5 ] && grep -q '^sign: serial 3 EUR coupon denomination, key id .* value EUR:1 tokens 1000' <<<"$out" \
  && pass offline_sign || fail offline_sign "$out"

# A changed byte in one announcement: the whole file is refused, nothing imported.
python3 - "$T/sig.json" "$T/tampered.json" <<'PY'
import json, sys, base64
d = json.load(open(sys.argv[1]))
b = bytearray(base64.urlsafe_b64decode(d["announcements"][2] + "=="))
b[-68] ^= 1  # the last byte of the signed fields (tokens), before 0x0c 0x58 0x40 and the signature
d["announcements"][2] = base64.urlsafe_b64encode(bytes(b)).rstrip(b"=").decode()
json.dump(d, open(sys.argv[2], "w"))
PY
expect_error KEY_ANNOUNCE_INVALID "$OBOL" issuer keys import --db "$DB" --in "$T/tampered.json" \
  && [ "$(unsigned)" = 5 ] && pass tampered_refused_nothing_imported || fail tampered_refused_nothing_imported
# Announcements signed for another issuer (its own requests, its own master):
# refused by the master key the file names, then by the signatures.
"$OBOL" issuer keys export-requests --db "sqlite:$T/other.db" --out "$T/other-req.json" >/dev/null
"$OBOL" offline sign --master-key "$T/other.key" --in "$T/other-req.json" --out "$T/other-sig.json" >/dev/null
expect_error KEY_MASTER_MISMATCH "$OBOL" issuer keys import --db "$DB" --in "$T/other-sig.json" \
  && pass other_issuers_signatures_refused || fail other_issuers_signatures_refused
python3 - "$T/other-sig.json" "$T/sig.json" "$T/relabelled.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["master_pk"] = json.load(open(sys.argv[2]))["master_pk"]
json.dump(d, open(sys.argv[3], "w"))
PY
expect_error KEY_ANNOUNCE_INVALID "$OBOL" issuer keys import --db "$DB" --in "$T/relabelled.json" \
  && [ "$(unsigned)" = 5 ] && pass relabelled_signatures_refused || fail relabelled_signatures_refused
expect_error KEY_FILE_FORMAT "$OBOL" issuer keys import --db "$DB" --in "$T/req.json" \
  && pass requests_file_is_no_signatures_file || fail requests_file_is_no_signatures_file

out=$("$OBOL" issuer keys import --db "$DB" --in "$T/sig.json" 2>&1)
[ "$(field imported "$out")" = 5 ] && [ "$(unsigned)" = 0 ] && pass import || fail import "$out"
check import_again_changes_nothing "$OBOL" issuer keys import --db "$DB" --in "$T/sig.json"
list=$("$OBOL" issuer keys list --db "$DB")
grep -q '^serial 1: in-use online' <<<"$list" && grep -q '^serial 2: next online' <<<"$list" \
  && grep -q '^serial 5: in-use ecash-bank' <<<"$list" && pass list_current_and_next || fail list_current_and_next "$list"

# 100 days on: the first online key is past its use (its signatures still
# accepted), the second in use, and the plan requests a third one ahead.
set_clock $((100 * 86400))
list=$("$OBOL" issuer keys list --db "$DB")
grep -q '^serial 1: accepted online' <<<"$list" && grep -q '^serial 2: in-use online' <<<"$list" \
  && pass windows_follow_the_clock || fail windows_follow_the_clock "$list"
out=$("$OBOL" issuer keys export-requests --db "$DB" --out "$T/req3.json" 2>&1)
[ "$(field new-requests "$out")" = 1 ] && pass next_key_requested_ahead || fail next_key_requested_ahead "$out"

# GET /keys lists the signed announcements still of use (not the unsigned
# request), and a wallet that pins the master key verifies every one.
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
n=$(curl -sf "$issuer_URL/keys" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["keys"]["announcements"]))')
[ "$n" = 5 ] && pass keys_document_lists_announcements || fail keys_document_lists_announcements "$n"
check wallet_verifies_announcements "$OBOL" wallet init --wallet "$T/w.wallet" --issuer "$issuer_URL" --account alice
# Past every window of the first online key (used until day 90, accepted a
# year and a day longer: until day 456), it is no longer listed.
# No online key is in use by then: a ceremony first (the running daemon
# takes the new keys up by itself).
set_clock $((457 * 86400))
{ "$OBOL" issuer keys export-requests --db "$DB" --out "$T/req4.json" \
  && "$OBOL" offline sign --master-key "$T/master.key" --in "$T/req4.json" --out "$T/sig4.json" \
  && "$OBOL" issuer keys import --db "$DB" --in "$T/sig4.json"; } >/dev/null 2>&1 || fail day_457_ceremony
for i in $(seq 1 100); do curl -sf "$issuer_URL/keys" >"$T/keys.json" && break; sleep 0.1; done
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["keys"]["announcements"]))' "$T/keys.json")
list=$("$OBOL" issuer keys list --db "$DB")
[ "$n" = "$(grep -c '^serial ' <<<"$list")" ] && ! grep -q '^serial 1:' <<<"$list" && ! grep -q unsigned <<<"$list" \
  && pass ended_key_not_listed || fail ended_key_not_listed "$n $list"
