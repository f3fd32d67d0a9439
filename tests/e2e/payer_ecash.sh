#!/usr/bin/env bash
# The payer's protections on an ecash payment ('wallet ecash pay'), with real
# processes: an issuer, a vendor daemon, a wallet taking payments as a
# merchant ('wallet ecash receive'), a paying wallet, and a vendor that
# cheats its payer in front of its own daemon (tests/attack/payer_vendor.c).
# The wallet honours --max-price, --max-amount and its default cap ('wallet
# limits'), whatever price the merchant announces, and never hands over coins
# worth more than the cap even for a price within it (e-cash coins are not
# split: a coin's whole value leaves). After each case: the payer's coins are
# all still there, the merchant got nothing, and the audit holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecash_lib.bash"
. "$(dirname "$0")/payer_lib.bash"

DB=sqlite:$T/issuer.db
coins() { field ecash-balance "$("$OBOL" wallet ecash coins --wallet "$(W "$1")")"; }
last_line() { "$OBOL" wallet history --wallet "$(W alice)" | tail -n 1; }
# refused CASE ERROR ARGS...: 'wallet ecash pay' for alice fails with ERROR,
# her coins stay as they were, and the history shows the refusal.
refused() {
  local case=$1 err=$2 before
  shift 2
  before=$(coins alice)
  expect_error "$err" "$OBOL" wallet ecash pay --wallet "$(W alice)" "$@" && pass "${case}_refused" \
    || fail "${case}_refused"
  [ "$(coins alice)" = "$before" ] && pass "${case}_nothing_handed_over" \
    || fail "${case}_nothing_handed_over" "$before -> $(coins alice)"
  grep -q "refused .*; $err\$" <<<"$(last_line)" && pass "${case}_in_history" \
    || fail "${case}_in_history" "$(last_line)"
}

"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail ecash_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail ecash_setup "issuer serve"; exit 1; }
join alice EUR:20 >/dev/null && join bob >/dev/null || { fail ecash_setup "register"; exit 1; }
certify "$T/shop" shop
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:1 \
  || { fail ecash_setup "vendor serve"; exit 1; }
CHEAT_VENDOR=$shop_ADDR CHEAT_DIR=$T/shop
"$OBOL" wallet ecash topup --wallet "$(W alice)" --amount EUR:12 --coin EUR:1 >/dev/null || fail topup_alice
for n in alice bob; do "$OBOL" wallet ecash refresh --wallet "$(W $n)" >/dev/null || fail "refresh_$n"; done

# The honest vendor within the caps: paid, its receipt verified and kept.
out=$("$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR" --max-price EUR:1 --max-amount EUR:1 2>&1)
grep -q '^paid: EUR:1 ' <<<"$out" && pass ecash_pays_within_the_caps || fail ecash_pays_within_the_caps "$out"
grep -q 'payment *ecash *paid *EUR:1 .*at shop (vendor [0-9]*); receipt: verified$' <<<"$(last_line)" \
  && pass ecash_receipt_verified || fail ecash_receipt_verified "$(last_line)"
[ "$(coins alice)" = "EUR:11" ] && pass ecash_coins_after_payment || fail ecash_coins_after_payment "$(coins alice)"

# The wallet's default cap applies without a terminal and without a cap given.
check ecash_limits_set "$OBOL" wallet limits set --wallet "$(W alice)" --max-amount EUR:0.5
refused ecash_default_cap PAY_AMOUNT_OVER_CAP --vendor "$shop_ADDR"
check ecash_limits_clear "$OBOL" wallet limits set --wallet "$(W alice)" --clear

# A vendor announcing a price above the cap: refused before a coin is chosen.
cheat --mode overprice --price EUR:3
refused ecash_price_above_amount_cap PAY_AMOUNT_OVER_CAP --vendor "$cheat_ADDR" --max-amount EUR:2
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && pass ecash_price_above_amount_cap_no_pay || fail ecash_price_above_amount_cap_no_pay "$(cat "$T/cheat.log")"
cheat --mode overprice --price EUR:3
refused ecash_price_above_price_cap PAY_PRICE_OVER_CAP --vendor "$cheat_ADDR" --max-price EUR:2
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && pass ecash_price_above_price_cap_no_pay || fail ecash_price_above_price_cap_no_pay "$(cat "$T/cheat.log")"

# A vendor announcing a price within the cap (EUR:0.5 for the daemon's
# EUR:1) that the wallet's coins (EUR:1 each) can only overpay: handing one
# over would pass the cap, and the daemon behind would take it.
cheat --mode overprice --price EUR:0.5
refused ecash_coins_above_cap ECASH_OVER_CAP --vendor "$cheat_ADDR" --max-amount EUR:0.6
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && pass ecash_coins_above_cap_no_pay || fail ecash_coins_above_cap_no_pay "$(cat "$T/cheat.log")"
stop cheat

# A wallet taking payments as a merchant asks more than the cap: refused; at
# its price within the cap: paid, and the history says a wallet signs no
# receipt.
start bobr wallet ecash receive --wallet "$(W bob)" --listen 127.0.0.1:0 --price EUR:2 --count 1
refused ecash_wallet_merchant_above_cap PAY_AMOUNT_OVER_CAP --vendor "$bobr_ADDR" --max-amount EUR:1
stop bobr
[ -z "$(coins bob)" ] || [ "$(coins bob)" = "EUR:0" ] && pass ecash_wallet_merchant_got_nothing \
  || fail ecash_wallet_merchant_got_nothing "$(coins bob)"
start bobr wallet ecash receive --wallet "$(W bob)" --listen 127.0.0.1:0 --price EUR:1 --count 1
out=$("$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$bobr_ADDR" --max-amount EUR:1 2>&1)
grep -q '^paid: EUR:1 ' <<<"$out" && pass ecash_wallet_merchant_within_cap || fail ecash_wallet_merchant_within_cap "$out"
wait "$bobr_PID" 2>/dev/null; unset "E2E_PIDS[bobr]"
grep -q 'payment *ecash *paid *EUR:1 ' <<<"$(last_line)" && pass ecash_wallet_merchant_in_history \
  || fail ecash_wallet_merchant_in_history "$(last_line)"
[ "$(coins alice)" = "EUR:10" ] && [ "$(coins bob)" = "EUR:1" ] && pass ecash_coins_at_end \
  || fail ecash_coins_at_end "alice $(coins alice), bob $(coins bob)"
audit ecash_at_end
