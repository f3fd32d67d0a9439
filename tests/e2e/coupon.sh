#!/usr/bin/env bash
# The coupon scheme through the shipping commands, with real processes: an
# issuer, two vendors, a wallet; the honest path (one coin spent across two
# vendors, several coins in one payment, a budget), the refusals a user or a
# network can cause (overspending, no funds, malformed JSON and frames), and
# SIGKILL of the vendor mid-session and of the issuer; the audit after each.
# The refusals that need hand-built protocol messages (forged coins, replayed
# authorisations, foreign settles...) are driven against real processes by
# the C cases coupon_procs.* (tests/unit/coupon/test_coupon_procs.c).
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
W=$T/alice.wallet

audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }

check issuer_init "$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 \
  --coupon-denom EUR:10,100000 --coupon-lock-max 600
expect_error COUPON_DENOM_CONFIG "$OBOL" issuer init --db "sqlite:$T/bad.db" --currency EUR --coupon-denom EUR:1,3 \
  && pass denomination_not_divisible_refused || fail denomination_not_divisible_refused
expect_error COUPON_DENOM_CONFIG "$OBOL" issuer init --db "sqlite:$T/bad2.db" --currency EUR --coupon-denom USD:1,10 \
  && pass denomination_other_currency_refused || fail denomination_other_currency_refused
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:3 >/dev/null
for v in vendor1 vendor2; do
  out=$("$OBOL" vendor init --dir "$T/$v" --issuer "$issuer_URL")
  "$OBOL" issuer vendor add --db "$DB" --name $v --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$T/$v/vendor.cert" >/dev/null
  start $v vendor serve --dir "$T/$v" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
    || { fail "${v}_serve"; exit 1; }
done

# The honest path: a coin of EUR:1 (1000 tokens), 300 units at vendor 1, the
# other 700 of the same coin at vendor 2; both settle before their receipt.
check withdraw "$OBOL" wallet withdraw --wallet "$W"
[ "$(balance alice)" = "EUR:2" ] && pass withdraw_debits || fail withdraw_debits "$(balance alice)"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor1_ADDR" --units 300 2>&1)
grep -q '^receipt: 300 unit(s) .*has settled' <<<"$out" && pass pay_vendor1 || fail pay_vendor1 "$out"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor2_ADDR" --units 700 2>&1)
grep -q 'authorises index 699' <<<"$out" && grep -q '^receipt: 700 unit(s)' <<<"$out" \
  && pass rest_of_coin_at_vendor2 || fail rest_of_coin_at_vendor2 "$out"
[ "$(balance vendor1)" = "EUR:0.3" ] && [ "$(balance vendor2)" = "EUR:0.7" ] \
  && pass vendors_credited || fail vendors_credited "$(balance vendor1) $(balance vendor2)"
audit_ok && pass audit_after_honest_path || fail audit_after_honest_path

# Overspending: the wallet refuses to pay what its coins do not hold.
expect_error COUPON_NO_COIN "$OBOL" wallet pay --wallet "$W" --vendor "$vendor1_ADDR" --units 1 \
  && pass overspend_refused || fail overspend_refused
# Several coins in one payment, and a budget.
check withdraw_two "$OBOL" wallet withdraw --wallet "$W" --count 2
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor2_ADDR" --units 1500 2>&1)
grep -q '^paid: 1500 unit(s), 1500 token(s), 2 coin(s)' <<<"$out" && pass pays_across_two_coins \
  || fail pays_across_two_coins "$out"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor1_ADDR" --amount EUR:0.25 2>&1)
grep -q '^paid: 250 unit(s)' <<<"$out" && pass pays_a_budget || fail pays_a_budget "$out"
out=$("$OBOL" wallet balance --wallet "$W")
grep -q '^coupon balance: EUR:0.25 ' <<<"$out" && pass wallet_balance || fail wallet_balance "$out"
expect_error COUPON_NO_COIN "$OBOL" wallet pay --wallet "$W" --vendor "$vendor1_ADDR" --units 251 \
  && pass overspend_across_coins_refused || fail overspend_across_coins_refused
[ "$(balance vendor1)" = "EUR:0.55" ] && [ "$(balance vendor2)" = "EUR:2.2" ] \
  && pass nothing_moved_by_refusals || fail nothing_moved_by_refusals "$(balance vendor1) $(balance vendor2)"
# No money left in the account: the withdrawal is refused and nothing is debited.
expect_error LEDGER_INSUFFICIENT_FUNDS "$OBOL" wallet withdraw --wallet "$W" \
  && pass withdraw_without_funds_refused || fail withdraw_without_funds_refused
[ "$(balance alice)" = "EUR:0" ] && pass withdraw_refusal_moves_nothing || fail withdraw_refusal_moves_nothing

# Malformed JSON at the issuer: each named, nothing moved.
http_expect 400 WIRE_MALFORMED -X POST -d 'garbage' "$issuer_URL/coupon/lock" \
  && pass json_garbage_refused || fail json_garbage_refused
http_expect 400 WIRE_MALFORMED -X POST -d '{"coin_id": "AA' "$issuer_URL/coupon/settle" \
  && pass json_truncated_refused || fail json_truncated_refused
http_expect 400 WIRE_UNKNOWN_FIELD -X POST -d '{"what": 1}' "$issuer_URL/coupon/settle" \
  && pass json_unknown_field_refused || fail json_unknown_field_refused
http_expect 400 WIRE_MISSING_FIELD -X POST -d '{"index": 1}' "$issuer_URL/coupon/settle" \
  && pass json_missing_field_refused || fail json_missing_field_refused
head -c 1100000 /dev/zero | tr '\0' ' ' | sed 's/^/{/; s/$/}/' >"$T/big.json"
http_expect 413 WIRE_OVERSIZED -X POST --data-binary "@$T/big.json" "$issuer_URL/coupon/lock" \
  && pass json_oversized_refused || fail json_oversized_refused
http_expect 401 AUTH_FAILED -X POST -d '{"request_id":"x","denom":1,"blinded":"AAAA"}' \
  "$issuer_URL/coupon/withdraw" && pass withdraw_unauthenticated_refused || fail withdraw_unauthenticated_refused

# Garbage, oversized and truncated frames on the device link: the vendor
# closes that link and goes on serving others.
frame() { exec 3<>"/dev/tcp/${vendor1_ADDR%:*}/${vendor1_ADDR##*:}"; printf "$1" >&3; timeout 2 cat <&3 >"$T/frame.out"; exec 3<&-; }
frame '\x00\x00\x00\x05\xff\xff\xff\xff\xff'
grep -q WIRE_MALFORMED "$T/frame.out" && pass frame_garbage_refused || fail frame_garbage_refused
frame '\x00\x10\x00\x00'
grep -q WIRE_OVERSIZED "$T/frame.out" && pass frame_oversized_refused || fail frame_oversized_refused
frame '\x00\x00\x00\x64\x83\x10'
kill -0 "$vendor1_PID" 2>/dev/null && pass frame_truncated_survived || fail frame_truncated_survived

# SIGKILL of vendor 1 in the middle of a long session (a coin of 100000
# tokens, 9000 units of 10 tokens): after its restart it settles the tokens it
# stored, and the wallet pays on.
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
check withdraw_for_crash "$OBOL" wallet withdraw --wallet "$W" --denom 2
"$OBOL" wallet pay --wallet "$W" --vendor "$vendor1_ADDR" --units 9000 >"$T/pay.out" 2>&1 &
PAY=$!
for i in $(seq 1 200); do grep -q 'served: unit 3' "$T/pay.out" && break; sleep 0.01; done
kill9 vendor1
wait $PAY 2>/dev/null
before=$(balance vendor1)
restart vendor1 || fail vendor1_restart
for i in $(seq 1 100); do [ "$(balance vendor1)" != "$before" ] && break; sleep 0.1; done
after=$(balance vendor1)
! grep -q '^receipt' "$T/pay.out" && [ "$after" != "$before" ] && pass vendor_settles_after_sigkill \
  || fail vendor_settles_after_sigkill "$before -> $after: $(tail -n 2 "$T/pay.out")"
audit_ok && pass audit_after_vendor_crash || fail audit_after_vendor_crash
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor2_ADDR" --units 5 2>&1)
grep -q '^paid: 5 unit(s)' <<<"$out" && pass wallet_pays_on_after_crash || fail wallet_pays_on_after_crash "$out"
audit_ok && pass audit_after_resync || fail audit_after_resync

# SIGKILL of the issuer: it comes back with everything it acknowledged.
kill9 issuer
restart issuer || fail issuer_restart
audit_ok && pass audit_after_issuer_crash || fail audit_after_issuer_crash
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor2_ADDR" --units 5 2>&1)
grep -q '^paid: 5 unit(s)' <<<"$out" && pass pays_after_issuer_restart || fail pays_after_issuer_restart "$out"
audit_ok && pass audit_at_end || fail audit_at_end
