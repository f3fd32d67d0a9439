#!/usr/bin/env bash
# The payer's protections on a payword purchase ('wallet payword buy'), with
# real processes: an issuer, a vendor daemon selling two products, a wallet,
# and a vendor that cheats its payer in front of its own daemon
# (tests/attack/payer_vendor.c). A purchase is two links: the vendor's INFO
# tells the price, then the wallet sends a range it signed for that value.
# The wallet honours --max-price, --max-amount and its default cap ('wallet
# limits') whatever price the vendor tells: above the cap, no range is
# signed or sent. After each case: the wallet's unspent tokens are all
# there, and the audit holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/payer_lib.bash"

DB=sqlite:$T/issuer.db
W=$T/alice.wallet
export OBOL_PAYWORD_PASSWORD="correct horse battery"
unspent() { field unspent "$("$OBOL" wallet payword show --wallet "$W")"; }
last_line() { "$OBOL" wallet history --wallet "$W" | tail -n 1; }
# refused CASE ERROR ARGS...: 'wallet payword buy' fails with ERROR, no token
# is spent, and the history shows the refusal.
refused() {
  local case=$1 err=$2 before
  shift 2
  before=$(unspent)
  expect_error "$err" "$OBOL" wallet payword buy --wallet "$W" "$@" && pass "${case}_refused" \
    || fail "${case}_refused"
  [ "$(unspent)" = "$before" ] && pass "${case}_nothing_spent" || fail "${case}_nothing_spent" "$before -> $(unspent)"
  grep -q "refused .*; $err\$" <<<"$(last_line)" && pass "${case}_in_history" \
    || fail "${case}_in_history" "$(last_line)"
}

"$OBOL" issuer init --db "$DB" --currency EUR --payword-token-value EUR:0.01 >/dev/null || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
certify "$T/shop" shop
"$OBOL" vendor payword setup --dir "$T/shop" --mode generic --report almost-online --interval 1 \
  --crl-interval 1 >/dev/null
printf 'The news of the day.\n' >"$T/article.txt"
"$OBOL" vendor payword product --dir "$T/shop" --id article-1 --price EUR:0.02 --file "$T/article.txt" >/dev/null
"$OBOL" vendor payword product --dir "$T/shop" --id article-2 --price EUR:0.05 --file "$T/article.txt" >/dev/null
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 || { fail vendor_serve; exit 1; }
CHEAT_VENDOR=$shop_ADDR CHEAT_DIR=$T/shop
user alice "$W" EUR:1
"$OBOL" wallet payword register --wallet "$W" --username alice >/dev/null || fail payword_register
"$OBOL" wallet payword buy-tokens --wallet "$W" --tokens 40 >/dev/null || fail payword_buy_tokens

# The honest vendor within the caps: paid, its receipt verified and kept.
out=$("$OBOL" wallet payword buy --wallet "$W" --vendor "$shop_ADDR" --product article-1 --max-price EUR:0.02 \
  --max-amount EUR:0.02 2>&1)
[ -n "$(field authorisation "$out")" ] && pass payword_pays_within_the_caps || fail payword_pays_within_the_caps "$out"
grep -q 'payment *payword *paid *EUR:0.02 .*at shop (vendor [0-9]*); receipt: verified$' <<<"$(last_line)" \
  && pass payword_receipt_verified || fail payword_receipt_verified "$(last_line)"
[ "$(unspent)" = "38 tokens (EUR:0.38)" ] && pass payword_tokens_after_payment \
  || fail payword_tokens_after_payment "$(unspent)"

# The wallet's default cap applies without a terminal and without a cap
# given; --max-price too.
check payword_limits_set "$OBOL" wallet limits set --wallet "$W" --max-amount EUR:0.03
refused payword_default_cap PAY_AMOUNT_OVER_CAP --vendor "$shop_ADDR" --product article-2
check payword_limits_clear "$OBOL" wallet limits set --wallet "$W" --clear
refused payword_price_cap PAY_PRICE_OVER_CAP --vendor "$shop_ADDR" --product article-2 --max-price EUR:0.04

# A vendor telling a price above the cap for a product that costs less: no
# range is signed, and the second link, which would carry it, never opens.
cheat --count 2 --mode overprice --price EUR:0.1
refused payword_price_above_amount_cap PAY_AMOUNT_OVER_CAP --vendor "$cheat_ADDR" --product article-1 \
  --max-amount EUR:0.05
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && [ "$(cheat_said connections)" = 1 ] && pass payword_price_above_amount_cap_no_pay \
  || fail payword_price_above_amount_cap_no_pay "$(cat "$T/cheat.log")"
cheat --count 2 --mode overprice --price EUR:0.1
refused payword_price_above_price_cap PAY_PRICE_OVER_CAP --vendor "$cheat_ADDR" --product article-1 \
  --max-price EUR:0.05
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && pass payword_price_above_price_cap_no_pay || fail payword_price_above_price_cap_no_pay "$(cat "$T/cheat.log")"
stop cheat

out=$("$OBOL" wallet history --wallet "$W")
[ "$(grep -c ' refused ' <<<"$out")" = 4 ] && [ "$(grep -c 'receipt: verified' <<<"$out")" = 1 ] \
  && pass payword_history_at_end || fail payword_history_at_end "$out"
audit_ok && pass payword_audit_at_end || fail payword_audit_at_end
