#!/usr/bin/env bash
# Expired e-cash coins are never lost (seed 002 §6.4 after expiry; DESIGN §6):
# with a bank whose coins live a few seconds, a holder redeems its expired
# coins to its account once; a second refund is refused; a coin paid to a
# merchant before expiry and redeemed by the payer is caught at the
# merchant's deposit as a double spend naming the redeemer; a refund after
# the merchant's deposit is caught likewise; the audit holds after each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecash_lib.bash"

DB=sqlite:$T/issuer.db
"$OBOL" issuer init --db "$DB" --currency EUR --ecash-coin-lifetime 15 >/dev/null \
  || { fail ecash_refund_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail ecash_refund_setup "issuer serve"; exit 1; }


ALICE_ACCOUNT=$(field ecash-account "$(join alice EUR:10)") || fail ecash_refund_register
BOB_ACCOUNT=$(field ecash-account "$(join bob EUR:10)") || fail ecash_refund_register
join carol >/dev/null || fail ecash_refund_register
"$OBOL" wallet ecash topup --wallet "$(W alice)" --amount EUR:3 --coin EUR:1 >/dev/null || fail topup_alice
"$OBOL" wallet ecash topup --wallet "$(W bob)" --amount EUR:1 >/dev/null || fail topup_bob
for n in alice bob carol; do "$OBOL" wallet ecash refresh --wallet "$(W $n)" >/dev/null || fail "refresh_$n"; done
cp "$(W alice)" "$T/alice-backup.wallet"
cp "$(W bob)" "$T/bob-backup.wallet"

out=$("$OBOL" wallet ecash redeem-expired --wallet "$(W alice)" 2>&1)
printf '%s' "$out" | grep -q "nothing to redeem" && pass unexpired_coins_not_redeemed || fail unexpired_coins_not_redeemed "$out"

# Before expiry: alice and bob each pay one coin to carol's wallet, offline.
start carolr wallet ecash receive --wallet "$(W carol)" --listen 127.0.0.1:0 --price EUR:1 --count 2
check pay_before_expiry "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$carolr_ADDR"
"$OBOL" wallet ecash pay --wallet "$(W bob)" --vendor "$carolr_ADDR" >/dev/null || fail pay_bob
wait "$carolr_PID" 2>/dev/null; unset "E2E_PIDS[carolr]"

# The coins expire: wait past the latest expiry of both backups (bob topped
# up after alice, so his coin can expire a second later).
exp=$(for w in alice-backup bob-backup; do
        "$OBOL" wallet ecash coins --wallet "$T/$w.wallet"
      done | sed -n 's/.*expires \([0-9]*\)$/\1/p' | sort -n | tail -n 1)
while [ "$(date +%s)" -le "${exp:-0}" ]; do sleep 0.2; done

out=$("$OBOL" wallet ecash withdraw --wallet "$(W alice)" 2>&1)
printf '%s' "$out" | grep -q "expired: 2 coins kept" && pass withdraw_leaves_expired_coins \
  || fail withdraw_leaves_expired_coins "$out"
out=$("$OBOL" wallet ecash redeem-expired --wallet "$(W alice)" 2>&1)
[ "$(field credited "$out")" = "EUR:2" ] && pass expired_coins_refunded || fail expired_coins_refunded "$out"
audit after_refund
out=$("$OBOL" wallet ecash redeem-expired --wallet "$(W alice)" 2>&1)
printf '%s' "$out" | grep -q "nothing to redeem" && pass refunded_coins_leave_wallet || fail refunded_coins_leave_wallet "$out"

# alice's backup still holds all three: the two redeemed are refused, and
# the one she paid to carol is redeemed (a double spend, not yet seen).
out=$("$OBOL" wallet ecash redeem-expired --wallet "$T/alice-backup.wallet" 2>&1)
[ "$(printf '%s' "$out" | grep -c ECASH_ALREADY_REFUNDED)" = 2 ] && [ "$(field credited "$out")" = "EUR:1" ] \
  && pass second_refund_refused || fail second_refund_refused "$out"
audit after_second_refund

# carol deposits: alice's coin is caught, naming alice; bob's is credited.
out=$("$OBOL" wallet ecash deposit --wallet "$(W carol)" 2>&1)
if printf '%s' "$out" | grep -q "double-spend: refunded-and-spent" &&
   [ "$(field culprit-account "$out")" = "$ALICE_ACCOUNT" ] && [ "$(field credited "$out")" = "EUR:1" ]; then
  pass merchant_deposit_after_refund_caught
else
  fail merchant_deposit_after_refund_caught "$out"
fi
audit after_deposit

# bob's backup redeems the coin carol deposited: caught, naming bob.
out=$("$OBOL" wallet ecash redeem-expired --wallet "$T/bob-backup.wallet" 2>&1)
if printf '%s' "$out" | grep -q ECASH_DOUBLE_SPENT && [ "$(field culprit-account "$out")" = "$BOB_ACCOUNT" ] &&
   [ "$(field credited "$out")" = "EUR:0" ]; then
  pass refund_after_deposit_caught
else
  fail refund_after_deposit_caught "$out"
fi
audit after_refund_of_deposited
out=$("$OBOL" issuer ecash report --db "$DB")
[ "$(field double-spends "$out")" = 2 ] && pass refund_frauds_reported || fail refund_frauds_reported "$out"
