#!/usr/bin/env bash
# The ecash scheme (seed 002) with real processes: registration, top-up,
# offline payments to a vendor daemon with the issuer stopped, payment to a
# wallet acting as merchant, transfer, a ring payment, a replay refused at
# the merchant, a double spend caught at deposit naming its culprit, the
# revoked key refused by a vendor that refreshed its list in the background,
# a vendor killed after accepting (its deposit still arrives), withdrawal,
# the audit, and a revocation list with a bad signature ignored by the vendor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecash_lib.bash"
export OBOL_ECASH_REVOCATIONS_REFRESH=1 # the vendor refreshes its list every second

DB=sqlite:$T/issuer.db
"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail ecash_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail ecash_setup "issuer serve"; exit 1; }


out=$(join alice EUR:10) && pass register || fail register "$out"
ALICE_ACCOUNT=$(field ecash-account "$out")
join bob EUR:10 >/dev/null && join carol >/dev/null && join dave >/dev/null || fail register_others
for n in erin frank grace heidi; do join $n >/dev/null || fail "register_$n"; done
expect_error ECASH_KEY_REGISTERED "$OBOL" wallet ecash register --wallet "$(W alice)" \
  && pass register_twice_refused || fail register_twice_refused

VOUT=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$VOUT")" \
  --box-key "$(field box-key "$VOUT")" --out "$T/shop/vendor.cert" >/dev/null
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:1 \
  && pass vendor_registers_and_serves || { fail vendor_registers_and_serves; exit 1; }

out=$("$OBOL" wallet ecash topup --wallet "$(W alice)" --amount EUR:4 --coin EUR:1 2>&1)
[ "$(field ecash-balance "$out")" = "EUR:4" ] && pass topup || fail topup "$out"
"$OBOL" wallet ecash topup --wallet "$(W bob)" --amount EUR:3 --coin EUR:1 >/dev/null || fail topup_bob
expect_error LEDGER_INSUFFICIENT_FUNDS "$OBOL" wallet ecash topup --wallet "$(W bob)" --amount EUR:20 --coin EUR:10 \
  && pass topup_beyond_balance_refused || fail topup_beyond_balance_refused
expect_error ECASH_COIN_VALUE "$OBOL" wallet ecash topup --wallet "$(W bob)" --amount EUR:200 \
  && pass topup_coin_too_large_refused || fail topup_coin_too_large_refused
for n in alice bob carol dave; do "$OBOL" wallet ecash refresh --wallet "$(W $n)" >/dev/null || fail "refresh_$n"; done
cp "$(W alice)" "$T/alice-backup.wallet"
cp "$(W alice)" "$T/alice-backup2.wallet"

# ---- the bank is offline from here ----
stop issuer
check pay_vendor_offline "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR"
out=$("$OBOL" wallet ecash pay --wallet "$(W bob)" --vendor "$shop_ADDR" --ring 8 2>&1)
printf '%s' "$out" | grep -q "ring-signed" && pass pay_ring_of_8_offline || fail pay_ring_of_8_offline "$out"
expect_error ECASH_DIRECTORY_TOO_SMALL "$OBOL" wallet ecash pay --wallet "$(W bob)" --vendor "$shop_ADDR" --ring 64 \
  && pass ring_larger_than_directory_refused || fail ring_larger_than_directory_refused
out=$("$OBOL" wallet ecash coins --wallet "$(W bob)")
[ "$(field ecash-balance "$out")" = "EUR:2" ] && pass refused_ring_keeps_coins || fail refused_ring_keeps_coins "$out"

# bob pays carol's wallet; carol spends the coin on at the shop (transfer).
start carolr wallet ecash receive --wallet "$(W carol)" --listen 127.0.0.1:0 --price EUR:1 --count 2
check pay_wallet_merchant_offline "$OBOL" wallet ecash pay --wallet "$(W bob)" --vendor "$carolr_ADDR"
"$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$carolr_ADDR" >/dev/null || fail pay_carol_alice
wait "$carolr_PID" 2>/dev/null; unset "E2E_PIDS[carolr]"
out=$("$OBOL" wallet ecash coins --wallet "$(W carol)")
[ "$(printf '%s' "$out" | grep -c "received, 1 claim")" = 2 ] && pass received_coins_held || fail received_coins_held "$out"
check transfer_received_coin "$OBOL" wallet ecash pay --wallet "$(W carol)" --vendor "$shop_ADDR"
# A deposit while the bank is down: the coin waits, and goes with the same request later.
expect_error NETWORK "$OBOL" wallet ecash deposit --wallet "$(W carol)" && pass deposit_offline_fails \
  || fail deposit_offline_fails
out=$("$OBOL" wallet ecash coins --wallet "$(W carol)")
printf '%s' "$out" | grep -q "^in-doubt: a request to /ecash/deposit" && pass deposit_in_doubt_kept \
  || fail deposit_in_doubt_kept "$out"

# alice's restored backup: the shop knows the coin; dave does not.
expect_error ECASH_COIN_ALREADY_HELD "$OBOL" wallet ecash pay --wallet "$T/alice-backup.wallet" --vendor "$shop_ADDR" \
  && pass replay_at_same_merchant_refused || fail replay_at_same_merchant_refused
start daver wallet ecash receive --wallet "$(W dave)" --listen 127.0.0.1:0 --price EUR:1 --count 1
check double_spend_accepted_offline_elsewhere "$OBOL" wallet ecash pay --wallet "$T/alice-backup2.wallet" \
  --vendor "$daver_ADDR"
wait "$daver_PID" 2>/dev/null; unset "E2E_PIDS[daver]"

# The vendor is killed after accepting: its coins and deposits were stored first.
kill9 shop
restart issuer
export OBOL_LOG=info # the shop logs its list refreshes
restart shop && pass vendor_restarts_offline_state || fail vendor_restarts_offline_state
unset OBOL_LOG
deposits() { field deposits "$("$OBOL" issuer ecash report --db "$DB")"; }
for i in $(seq 1 120); do [ "$(deposits)" -ge 3 ] && break; sleep 0.5; done
[ "$(deposits)" = 3 ] && pass vendor_outbox_deposits_after_crash || fail vendor_outbox_deposits_after_crash "$(deposits)"

out=$("$OBOL" wallet ecash deposit --wallet "$(W carol)" 2>&1)
printf '%s' "$out" | grep -q "sending again" && [ "$(field credited "$out")" = "EUR:1" ] \
  && pass deposit_resent_after_outage || fail deposit_resent_after_outage "$out"

out=$("$OBOL" wallet ecash deposit --wallet "$(W dave)" 2>&1)
if printf '%s' "$out" | grep -q ECASH_DOUBLE_SPENT && [ "$(field culprit-account "$out")" = "$ALICE_ACCOUNT" ]; then
  pass double_spend_names_culprit
else
  fail double_spend_names_culprit "$out"
fi
out=$("$OBOL" issuer ecash report --db "$DB")
printf '%s' "$out" | grep -q "culprit-name: alice" && [ "$(field revoked-keys "$out")" = 1 ] \
  && pass culprit_key_revoked || fail culprit_key_revoked "$out"

# The vendor, running since before the revocation, refreshes its list in the
# background; alice's key is then refused offline.
for i in $(seq 1 100); do grep -q "revocation list refreshed: 1 keys" "$T/shop.log" && break; sleep 0.1; done
grep -q "revocation list refreshed: 1 keys" "$T/shop.log" && pass vendor_refreshes_revocations_in_background \
  || fail vendor_refreshes_revocations_in_background "$(tail -n 5 "$T/shop.log")"
expect_error ECASH_KEY_REVOKED "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR" \
  && pass revoked_key_refused_by_merchant || fail revoked_key_refused_by_merchant
expect_error ECASH_KEY_REVOKED "$OBOL" wallet ecash withdraw --wallet "$(W alice)" \
  && pass revoked_key_refused_by_bank || fail revoked_key_refused_by_bank

out=$("$OBOL" wallet ecash withdraw --wallet "$(W bob)" 2>&1)
[ "$(field credited "$out")" = "EUR:1" ] && pass withdraw_to_account || fail withdraw_to_account "$out"
out=$("$OBOL" wallet ecash deposit --wallet "$(W bob)" 2>&1)
printf '%s' "$out" | grep -q "nothing to deposit" && pass nothing_left_to_deposit || fail nothing_left_to_deposit "$out"
http_expect 401 AUTH_FAILED -X POST -d '{"purpose":"topup"}' "$issuer_URL/ecash/nonce" \
  && pass nonce_needs_account || fail nonce_needs_account
out=$(curl -s "$issuer_URL/ecash/revocations/page")
printf '%s' "$out" | grep -q '"through":"__________________________________________8"' \
  && printf '%s' "$out" | grep -q '"keys":\[{"id":' && pass revocation_list_published || fail revocation_list_published "$out"
curl -s -o /dev/null -w '%{http_code}' "$issuer_URL/ecash/revocations" | grep -q 404 \
  && pass whole_revocation_list_route_gone || fail whole_revocation_list_route_gone

out=$("$OBOL" audit --db "$DB")
printf '%s' "$out" | grep -q "^audit: OK" && pass audit_ok || fail audit_ok "$out"

# A list the vendor cannot verify (the issuer now signs with another key) is
# ignored and logged; the list it holds stays in force.
"$OBOL" issuer init --db "sqlite:$T/other.db" --currency EUR >/dev/null || fail other_issuer_init
stop issuer
sqlite3 "$T/issuer.db" "ATTACH '$T/other.db' AS o; UPDATE ecash_bank_key SET sk = (SELECT sk FROM o.ecash_bank_key WHERE id = 1) WHERE id = 1;" \
  || fail swap_bank_key
restart issuer
for i in $(seq 1 100); do grep -q "revocation list is ignored: ECASH_LIST_SIGNATURE" "$T/shop.log" && break; sleep 0.1; done
grep -q "revocation list is ignored: ECASH_LIST_SIGNATURE" "$T/shop.log" && pass vendor_ignores_badly_signed_list \
  || fail vendor_ignores_badly_signed_list "$(tail -n 5 "$T/shop.log")"
expect_error ECASH_KEY_REVOKED "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR" \
  && pass held_list_stays_after_bad_one || fail held_list_stays_after_bad_one
