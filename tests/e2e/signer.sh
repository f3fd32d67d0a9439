#!/usr/bin/env bash
# The issuer's signing process (src/issuer/signer.h) with real processes: the
# keys moved out of the issuer database (no private key bytes left in any
# blob of any table, nor the master seed), `issuer serve` refusing to start
# without the signer,
# then, through the signer: a coupon withdraw and a spend at a vendor (the
# sealed authorisation opened there), an ecash registration and top-up (the
# bank's signatures); the signer's log and counts; the signer killed (the
# withdraw fails by name, nothing is debited) and started again (the
# withdraw goes through); the audit after each. Then a rotation with a
# signer: the new keys drawn in the signer's store, none in the issuer
# database, served by the running issuer and vendor without a restart.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
SDB=sqlite:$T/signer.db
SOCK=$T/signer.sock
W=$T/alice.wallet

audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }

# init holds the key ceremony: two online keys drawn, four announcements signed
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --master-key "$T/master.key" >/dev/null \
  || { fail signer_setup init; exit 1; }
out=$("$OBOL" issuer signer import --db "$SDB" --from "$DB" 2>&1)
# one denomination, the ecash bank key, the box key, two online keys; all
# but the box key announced, and their windows are the announcements'
[ "$(field moved "$out")" = "5 keys" ] && [ "$(field "announced windows" "$out")" = "3 keys" ] \
  && pass import_moves_keys || fail import_moves_keys "$out"
# the ecash bank key does not rotate yet: its announced year of use must not
# end the signer's use of it (every top-up and list page would fail then)
[ "$(sqlite3 "$T/signer.db" "SELECT use_until FROM signer_keys WHERE kind = 2")" = 9223372036854775807 ] \
  && pass bank_key_keeps_no_end || fail bank_key_keeps_no_end "$(sqlite3 "$T/signer.db" "SELECT * FROM signer_keys WHERE kind = 2")"
out=$("$OBOL" issuer signer import --db "$SDB" --from "$DB" 2>&1)
[ "$(field moved "$out")" = "0 keys" ] && pass import_again_moves_nothing || fail import_again_moves_nothing "$out"

db_cells_hex "$T/issuer.db" >"$T/blobs.hex"
nsecrets=$(sqlite3 "$T/signer.db" "SELECT COUNT(*) FROM signer_keys")
found=$(hex_secrets_found "$T/blobs.hex" < <(sqlite3 "$T/signer.db" "SELECT hex(secret) FROM signer_keys"))
[ "$nsecrets" = 5 ] && [ "$found" = 0 ] && [ -s "$T/blobs.hex" ] \
  && pass issuer_db_holds_no_private_key || fail issuer_db_holds_no_private_key "$nsecrets secrets, $found found"
# Nor the master key's seed (whole or its middle 16 bytes), in any blob of
# the issuer database, nor among the signer's keys: it is in the offline
# file only.
MSEED=$(master_key_hex "$T/master.key")
[ ${#MSEED} = 64 ] && ! grep -q "$MSEED" "$T/blobs.hex" && ! grep -q "${MSEED:16:32}" "$T/blobs.hex" \
  && ! grep -q "${MSEED:16:32}" <(sqlite3 "$T/signer.db" "SELECT hex(secret) FROM signer_keys") \
  && pass issuer_db_holds_no_master_seed || fail issuer_db_holds_no_master_seed "${#MSEED}"

expect_error SIGNER_REQUIRED "$OBOL" issuer serve --db "$DB" --listen 127.0.0.1:0 \
  && pass serve_without_signer_refused || fail serve_without_signer_refused
expect_error SIGNER_UNAVAILABLE "$OBOL" issuer serve --db "$DB" --listen 127.0.0.1:0 --signer "$T/none.sock" \
  && pass serve_with_absent_signer_refused || fail serve_with_absent_signer_refused

start signer issuer signer --db "$SDB" --socket "$SOCK" --log "$T/signer-requests.log" \
  || { fail signer_starts; exit 1; }
[ "$(stat -c %a "$SOCK")" = 600 ] && pass socket_mode_0600 || fail socket_mode_0600 "$(stat -c %a "$SOCK")"
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --signer "$SOCK" || { fail issuer_serve; exit 1; }

KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" --signer "$SOCK" >/dev/null
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
  || { fail shop_serve; exit 1; }

# The coupon path: the blind signature and the lock's sealed authorisation
# are the signer's work.
check withdraw_through_signer "$OBOL" wallet withdraw --wallet "$W"
[ "$(balance alice)" = "EUR:9" ] && pass withdraw_debits || fail withdraw_debits "$(balance alice)"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$shop_ADDR" --units 300 2>&1)
grep -q '^receipt: 300 unit(s) .*has settled' <<<"$out" && pass spend_through_signer || fail spend_through_signer "$out"
[ "$(balance shop)" = "EUR:0.3" ] && pass vendor_credited || fail vendor_credited "$(balance shop)"
audit_ok && pass audit_after_coupon || fail audit_after_coupon

# The ecash bank's signatures (the certificate at registration, the coins).
out=$("$OBOL" wallet ecash register --wallet "$W" 2>&1) && pass ecash_register_through_signer \
  || fail ecash_register_through_signer "$out"
out=$("$OBOL" wallet ecash topup --wallet "$W" --amount EUR:2 --coin EUR:1 2>&1)
[ "$(field ecash-balance "$out")" = "EUR:2" ] && pass ecash_topup_through_signer || fail ecash_topup_through_signer "$out"
audit_ok && pass audit_after_ecash || fail audit_after_ecash

# The signer's log: kind, key id, size, result; never a key. It is written
# at most a second late.
logged() { grep -q ' blind-sign key=[0-9a-f]\{16\} size=256 OK$' "$T/signer-requests.log" \
  && grep -q ' box-open key=' "$T/signer-requests.log" && grep -q ' rsa-sign key=' "$T/signer-requests.log"; }
for i in $(seq 1 100); do logged && break; sleep 0.1; done
logged && pass signer_logs_requests \
  || fail signer_logs_requests "$(grep -c . "$T/signer-requests.log") lines; $(grep -v ed25519 "$T/signer-requests.log" | tail -n 5)"
out=$("$OBOL" issuer signer status --socket "$SOCK")
grep -q '"blind-sign":{"ok":1,' <<<"$out" && pass signer_counts || fail signer_counts "$out"

# The signer stops: the withdraw and the top-up are refused by name,
# nothing is debited; back, the withdraw kept pending is answered and a
# top-up goes through.
before=$(balance alice)
kill9 signer
expect_error SIGNER_UNAVAILABLE "$OBOL" wallet withdraw --wallet "$W" \
  && pass withdraw_without_signer_refused || fail withdraw_without_signer_refused
expect_error SIGNER_UNAVAILABLE "$OBOL" wallet ecash topup --wallet "$W" --amount EUR:1 --coin EUR:1 \
  && pass topup_without_signer_refused || fail topup_without_signer_refused
[ "$(balance alice)" = "$before" ] && pass nothing_debited_without_signer || fail nothing_debited_without_signer
audit_ok && pass audit_without_signer || fail audit_without_signer
restart signer || fail signer_restarts
# the wallet kept the refused withdrawal pending: --count 0 only retries it,
# with the same request id, and gets its coin, debited once
check withdraw_retried_after_signer_back "$OBOL" wallet withdraw --wallet "$W" --count 0
[ "$(balance alice)" = "EUR:6" ] && pass retried_withdraw_debits_once \
  || fail retried_withdraw_debits_once "$(balance alice)"
out=$("$OBOL" wallet balance --wallet "$W")
grep -q '^coupon balance: EUR:1.7 ' <<<"$out" && pass retried_withdraw_coin_held || fail retried_withdraw_coin_held "$out"
out=$("$OBOL" wallet ecash topup --wallet "$W" --amount EUR:1 --coin EUR:1 2>&1)
[ "$(field ecash-balance "$out")" = "EUR:3" ] && [ "$(balance alice)" = "EUR:5" ] && pass topup_after_signer_back \
  || fail topup_after_signer_back "$out $(balance alice)"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$shop_ADDR" --units 700 2>&1)
grep -q '^receipt: 700 unit(s)' <<<"$out" && pass spend_after_signer_back || fail spend_after_signer_back "$out"
audit_ok && pass audit_at_end || fail audit_at_end

# Keys drawn after the issuer has a signer are drawn in the signer: a second
# issuer whose coupon keys issue for 100 days (the plan's 120-day lookahead
# draws key 2 at the first ceremony, before any signer), moved to a signer,
# then a plan reaching further (key 3, a third online key): drawn in the
# signer's store, the issuer database gets their public halves only.
DB2=sqlite:$T/issuer2.db SDB2=sqlite:$T/signer2.db
"$OBOL" issuer init --db "$DB2" --currency EUR --coupon-denom EUR:1,100,100,150,200 --coupon-rsa-bits 1024 \
  --master-key "$T/master2.key" --no-ceremony >/dev/null || fail rotation_setup init
# the first signer's store is pinned to the first issuer's master key: the
# second issuer's keys are refused there, and stay in its database
expect_error SIGNER_MASTER_MISMATCH "$OBOL" issuer signer import --db "$SDB" --from "$DB2" \
  && [ "$(sqlite3 "$T/issuer2.db" "SELECT COUNT(*) FROM coupon_denoms WHERE length(rsa_sk) > 0")" = 1 ] \
  && pass import_under_another_master_refused || fail import_under_another_master_refused
ceremony2() {
  "$OBOL" issuer keys export-requests --db "$DB2" --out "$T/req2-$1.json" "${@:2}" >/dev/null \
    && "$OBOL" offline sign --master-key "$T/master2.key" --in "$T/req2-$1.json" --out "$T/sig2-$1.json" >/dev/null \
    && "$OBOL" issuer keys import --db "$DB2" --in "$T/sig2-$1.json" >/dev/null
}
ceremony2 0 && (cd "$T" && "$OBOL" issuer signer import --db sqlite:signer2.db --from "$DB2" >/dev/null) \
  || fail rotation_setup ceremony
# the daemons run through the rotation: issuer serve and a vendor pick the
# new key up without a restart
start signer2 issuer signer --db "$SDB2" --socket "$T/signer2.sock" || fail rotation_setup signer2
start issuer2 issuer serve --db "$DB2" --listen 127.0.0.1:0 --signer "$T/signer2.sock" || fail rotation_setup issuer2
out=$("$OBOL" vendor init --dir "$T/shop2" --issuer "$issuer2_URL")
"$OBOL" issuer vendor add --db "$DB2" --name shop2 --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop2/vendor.cert" --signer "$T/signer2.sock" >/dev/null
OBOL_LOG=info OBOL_COUPON_KEYS_SECONDS=1 start shop2 vendor serve --dir "$T/shop2" --issuer "$issuer2_URL" --listen 127.0.0.1:0 \
  --price EUR:0.01 || fail rotation_setup shop2
keys_ids2() { curl -sf "$issuer2_URL/keys" | python3 -c 'import json,sys; print(" ".join(str(d["id"]) for d in json.load(sys.stdin)["keys"]["coupon"]["denoms"]))'; }
[ "$(keys_ids2)" = "1 2" ] && pass keys_before_rotation || fail keys_before_rotation "$(keys_ids2)"
before=$(sqlite3 "$T/signer2.db" "SELECT COUNT(*) FROM signer_keys")
ceremony2 1 --lookahead-days 250 || fail rotation_setup second_ceremony
out=$("$OBOL" issuer signer import --db "$SDB2" --from "$DB2" 2>&1)
[ "$(keys_ids2)" = "1 2 3" ] && pass serve_lists_the_new_key_without_restart \
  || fail serve_lists_the_new_key_without_restart "$(keys_ids2)"
for i in $(seq 1 50); do grep -q 'new key(s) from the issuer accepted' "$T/shop2.log" && break; sleep 0.2; done
grep -q 'coupon: 1 new key(s) from the issuer accepted' "$T/shop2.log" && pass vendor_takes_the_new_key_without_restart \
  || fail vendor_takes_the_new_key_without_restart "$(tail -n 3 "$T/shop2.log")"
# the signer reloaded on the import: it holds the new keys' announcements
for i in $(seq 1 30); do grep -q 'signer: reloaded' "$T/signer2.log" && break; sleep 0.1; done
grep -q 'signer: reloaded 8 keys' "$T/signer2.log" && pass signer_reloads_on_import \
  || fail signer_reloads_on_import "$(tail -n 3 "$T/signer2.log")"
after=$(sqlite3 "$T/signer2.db" "SELECT COUNT(*) FROM signer_keys")
dk=$(sqlite3 "$T/issuer2.db" "SELECT COUNT(*) FROM coupon_denoms")
# key 3 and one more online key drawn in the signer; the import moved nothing
[ "$dk" = 3 ] && [ $((after - before)) = 2 ] && [ "$(field moved "$out")" = "0 keys" ] \
  && pass rotation_draws_in_the_signer || fail rotation_draws_in_the_signer "denoms $dk, signer $before -> $after, $out"
db_cells_hex "$T/issuer2.db" >"$T/blobs2.hex"
found=$(hex_secrets_found "$T/blobs2.hex" < <(sqlite3 "$T/signer2.db" "SELECT hex(secret) FROM signer_keys"))
[ "$found" = 0 ] && [ "$(sqlite3 "$T/issuer2.db" "SELECT COUNT(*) FROM coupon_denoms WHERE length(rsa_sk) > 0")" = 0 ] \
  && [ "$(sqlite3 "$T/issuer2.db" "SELECT COUNT(*) FROM online_keys WHERE length(seed) > 0")" = 0 ] \
  && pass issuer_db_holds_no_private_key_after_rotation || fail issuer_db_holds_no_private_key_after_rotation "$found"
# the keys the signer drew are announced to it by the import after the ceremony
[ "$(sqlite3 "$T/signer2.db" "SELECT COUNT(*) FROM signer_keys WHERE announced = 1")" = 6 ] \
  && pass drawn_keys_announced_to_the_signer \
  || fail drawn_keys_announced_to_the_signer "$(sqlite3 "$T/signer2.db" "SELECT kind, announced FROM signer_keys")"
