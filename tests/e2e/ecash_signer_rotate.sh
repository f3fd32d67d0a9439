#!/usr/bin/env bash
# The ecash bank key rotates on an issuer that runs with its signing process
# (issue 17; src/issuer/ecash_rotate.h, signer.h obol_signer_draw), on the
# test clock: the key plan's successor (drawn within the lookahead, day 300
# of a key used for 365 days) is drawn in the signer's store, so that no
# cell of the issuer database ever holds a private key (no PKCS#8 key, none
# of the signer's secrets); the import after the ceremony moves nothing and
# brings the successor's announcement to the signer, which reloads; once
# the successor begins (day 366) a top-up is signed through the signer
# under the new key (its log), without restarting issuer serve or the
# signer, and the audit is OK.
. "$(dirname "$0")/lib.sh"

export OBOL_TEST_CLOCK=$T/clock
set_clock() { echo "$1" >"$OBOL_TEST_CLOCK.new" && mv "$OBOL_TEST_CLOCK.new" "$OBOL_TEST_CLOCK"; }
set_clock 0
DAY=86400
DB=sqlite:$T/issuer.db
SDB=sqlite:$T/signer.db
SOCK=$T/signer.sock
W=$T/alice.wallet

audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
# An RSA private key in PKCS#8 DER (what the issuer stores a private bank
# or denomination key as): version 0, then the rsaEncryption algorithm.
PKCS8_RSA=020100300D06092A864886F70D0101010500
ceremony() {
  "$OBOL" issuer keys export-requests --db "$DB" --out "$T/req-$1.json" >/dev/null \
    && "$OBOL" offline sign --master-key "$T/master.key" --in "$T/req-$1.json" --out "$T/sig-$1.json" >/dev/null \
    && "$OBOL" issuer keys import --db "$DB" --in "$T/sig-$1.json" >/dev/null
}
# The signer's requests log lines naming key $1 (its first 16 hex digits).
signed_by() { grep -c " rsa-sign key=${1:0:16} .* OK$" "$T/signer-requests.log"; }

# An issuer with the master key offline and its keys in the signer.
"$OBOL" issuer init --db "$DB" --currency EUR --master-key "$T/master.key" >/dev/null \
  || { fail ebank_signer_setup init; exit 1; }
"$OBOL" issuer signer import --db "$SDB" --from "$DB" >/dev/null || { fail ebank_signer_setup import; exit 1; }
start signer issuer signer --db "$SDB" --socket "$SOCK" --log "$T/signer-requests.log" \
  || { fail ebank_signer_setup signer; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --signer "$SOCK" || { fail ebank_signer_setup serve; exit 1; }
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
"$OBOL" wallet ecash register --wallet "$W" >/dev/null 2>&1 || fail ebank_signer_setup register
out=$("$OBOL" wallet ecash topup --wallet "$W" --amount EUR:1 --coin EUR:1 2>&1)
[ "$(field ecash-balance "$out")" = "EUR:1" ] && pass topup_under_the_first_bank_key || fail topup_under_the_first_bank_key "$out"
K1=$(sqlite3 "$T/signer.db" "SELECT lower(hex(key_id)) FROM signer_keys WHERE kind = 2")

# Day 300: the first key stops signing within the 120 days of lookahead;
# the plan draws its successor, in the signer's store.
set_clock $((300 * DAY))
before=$(sqlite3 "$T/signer.db" "SELECT COUNT(*) FROM signer_keys WHERE kind = 2")
ceremony 1 || fail ebank_signer_setup ceremony
[ "$(sqlite3 "$T/issuer.db" "SELECT COUNT(*) FROM ecash_bank_key")" = 2 ] \
  && [ "$before" = 1 ] && [ "$(sqlite3 "$T/signer.db" "SELECT COUNT(*) FROM signer_keys WHERE kind = 2")" = 2 ] \
  && pass bank_successor_drawn_in_the_signer \
  || fail bank_successor_drawn_in_the_signer "$(sqlite3 "$T/signer.db" "SELECT kind, announced FROM signer_keys")"
db_cells_hex "$T/issuer.db" >"$T/cells.hex"
pk=$(grep -ci "$PKCS8_RSA" "$T/cells.hex")
found=$(hex_secrets_found "$T/cells.hex" < <(sqlite3 "$T/signer.db" "SELECT hex(secret) FROM signer_keys"))
[ -s "$T/cells.hex" ] && [ "$pk" = 0 ] && [ "$found" = 0 ] \
  && pass issuer_db_holds_no_private_key_after_bank_rotation \
  || fail issuer_db_holds_no_private_key_after_bank_rotation "$pk PKCS#8 cells, $found signer secrets"
# the import moves nothing (nothing private is left to move) and brings
# the successor's announcement to the signer, which reloads
out=$("$OBOL" issuer signer import --db "$SDB" --from "$DB" 2>&1)
[ "$(field moved "$out")" = "0 keys" ] && pass import_after_bank_rotation_moves_nothing \
  || fail import_after_bank_rotation_moves_nothing "$out"
# (the running signer takes a key's window from the announcements it
# verifies; signer_keys.announced is not kept for bank keys)
for i in $(seq 1 50); do grep -q "signer: reloaded" "$T/signer-requests.log" && break; sleep 0.1; done
grep -q "signer: reloaded" "$T/signer-requests.log" && pass signer_reloads_after_bank_rotation \
  || fail signer_reloads_after_bank_rotation "$(tail -n 3 "$T/signer-requests.log")"
K2=$(sqlite3 "$T/signer.db" "SELECT lower(hex(key_id)) FROM signer_keys WHERE kind = 2 AND lower(hex(key_id)) <> '$K1'")

# Day 366: the successor signs; a top-up goes through the signer under it,
# the daemons not restarted.
set_clock $((366 * DAY))
early=$(signed_by "$K2")
out=$("$OBOL" wallet ecash topup --wallet "$W" --amount EUR:2 --coin EUR:1 2>&1)
for i in $(seq 1 50); do [ "$(signed_by "$K2")" -ge 2 ] && break; sleep 0.1; done
[ "$(field ecash-balance "$out")" = "EUR:3" ] && [ "${#K2}" = 64 ] && [ "$early" = 0 ] && [ "$(signed_by "$K2")" -ge 2 ] \
  && pass topup_signed_by_the_successor_through_the_signer \
  || fail topup_signed_by_the_successor_through_the_signer "$out; key ${K2:0:16}: $(tail -n 3 "$T/signer-requests.log")"
audit_ok && pass audit_after_bank_rotation || fail audit_after_bank_rotation
