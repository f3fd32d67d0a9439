#!/usr/bin/env bash
# The payer's protections on a coupon payment, with real processes: an
# issuer, a vendor daemon, a wallet, and a vendor that cheats its payer in
# front of its own daemon (tests/attack/payer_vendor.c). The wallet honours
# --max-price, --max-amount and its default cap ('wallet limits'), whatever
# the vendor announces or asks for mid-session; it checks and keeps the
# vendor's signed receipt, and 'wallet history' shows each payment with its
# receipt or why it has none. After each case: nothing paid past the cap, and
# the audit holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/payer_lib.bash"

DB=sqlite:$T/issuer.db
W=$T/alice.wallet
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
coins_value() { "$OBOL" wallet balance --wallet "$W" | sed -n 's/^coupon balance: \([^ ]*\).*/\1/p'; }
# spent_at_most BEFORE MAX: the wallet's coins lost at most MAX since BEFORE.
spent_at_most() {
  awk -v b="${1#EUR:}" -v a="$(coins_value)" -v m="${2#EUR:}" 'BEGIN { sub(/^EUR:/, "", a); exit !(b - a <= m + 1e-9) }'
}
# last_line: the history's last entry, as the text listing shows it.
last_line() { "$OBOL" wallet history --wallet "$W" | tail -n 1; }

"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-lock-max 600 >/dev/null
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
user alice "$W" EUR:5
certify "$T/shop" cornershop
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.003 \
  || { fail vendor_serve; exit 1; }
CHEAT_VENDOR=$vendor_ADDR CHEAT_DIR=$T/shop
"$OBOL" wallet withdraw --wallet "$W" --count 2 >/dev/null

# The honest vendor within the caps: paid, its receipt verified and kept.
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor_ADDR" --units 100 --max-price EUR:0.003 \
  --max-amount EUR:0.3 --yes 2>&1)
grep -q '^paid: 100 unit(s)' <<<"$out" && pass pays_within_the_caps || fail pays_within_the_caps "$out"
out=$("$OBOL" wallet history --wallet "$W")
grep -q 'payment *coupon *paid *EUR:0.3 for 100 unit(s) at cornershop (vendor [0-9]*); receipt: verified' \
  <<<"$out" && pass history_shows_the_verified_receipt || fail history_shows_the_verified_receipt "$out"
out=$("$OBOL" wallet history --wallet "$W" --json)
grep -q '"receipt_verified": true' <<<"$out" && grep -q '"receipt_state": "valid"' <<<"$out" \
  && pass history_json_receipt_verified || fail history_json_receipt_verified "$out"
[ "$(balance cornershop)" = "EUR:0.3" ] && pass vendor_credited || fail vendor_credited "$(balance cornershop)"
audit_ok && pass audit_after_honest_payment || fail audit_after_honest_payment

# The wallet's default cap applies without a terminal and without a cap given.
check limits_set "$OBOL" wallet limits set --wallet "$W" --max-price EUR:0.005 --max-amount EUR:0.05
out=$("$OBOL" wallet limits show --wallet "$W")
grep -qx 'max-amount: EUR:0.05' <<<"$out" && pass limits_show || fail limits_show "$out"
before=$(coins_value)
expect_error PAY_AMOUNT_OVER_CAP "$OBOL" wallet pay --wallet "$W" --vendor "$vendor_ADDR" --units 100 \
  && pass default_cap_refuses_more || fail default_cap_refuses_more
[ "$(coins_value)" = "$before" ] && [ "$(balance cornershop)" = "EUR:0.3" ] \
  && pass default_cap_nothing_paid || fail default_cap_nothing_paid "$(coins_value) $(balance cornershop)"
grep -q 'refused .*; PAY_AMOUNT_OVER_CAP$' <<<"$(last_line)" && pass history_shows_the_refusal \
  || fail history_shows_the_refusal "$(last_line)"
check limits_clear "$OBOL" wallet limits set --wallet "$W" --clear

# A vendor announcing a price above the cap: refused before anything is paid.
cheat --mode overprice --price EUR:0.01
before=$(coins_value)
expect_error PAY_PRICE_OVER_CAP "$OBOL" wallet pay --wallet "$W" --vendor "$cheat_ADDR" --units 10 \
  --max-price EUR:0.005 && pass price_above_cap_refused || fail price_above_cap_refused
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said pays_from_wallet)" = 0 ] \
  && pass price_above_cap_no_pay || fail price_above_cap_no_pay "$(cat "$T/cheat.log")"
[ "$(coins_value)" = "$before" ] && pass price_above_cap_nothing_spent || fail price_above_cap_nothing_spent
audit_ok && pass audit_after_overprice || fail audit_after_overprice

# A vendor asking for more mid-session (it hides what it served and asks on):
# the wallet stops before the cap (the coupon core already at the amount it
# agreed to, units x price rounded up to a token: COUPON_OVER_AGREED).
cheat --mode ask-more
before=$(coins_value)
expect_error COUPON_OVER_AGREED "$OBOL" wallet pay --wallet "$W" --vendor "$cheat_ADDR" --units 10 \
  --max-amount EUR:0.05 && pass asking_more_refused || fail asking_more_refused
[ "$(cheat_said deviated)" = yes ] && [ "$(cheat_said asked_more)" -ge 1 ] && pass asking_more_asked \
  || fail asking_more_asked "$(cat "$T/cheat.log")"
spent_at_most "$before" EUR:0.05 && pass asking_more_nothing_past_cap \
  || fail asking_more_nothing_past_cap "$before -> $(coins_value)"
grep -q 'pending *EUR:0.0[0-5][0-9]* .*; COUPON_OVER_AGREED$' <<<"$(last_line)" && pass asking_more_in_history \
  || fail asking_more_in_history "$(last_line)"
audit_ok && pass audit_after_asking_more || fail audit_after_asking_more

# Receipts: missing, forged, or signed for more than was paid. The payment
# went through; the wallet names what is wrong and the history says so.
for m in drop-receipt:RECEIPT_MISSING:missing forge-receipt:RECEIPT_INVALID:invalid \
  wrong-receipt:RECEIPT_MISMATCH:mismatch; do
  mode=${m%%:*}; rest=${m#*:}; err=${rest%%:*}; state=${rest#*:}
  cheat --mode "$mode"
  out=$("$OBOL" wallet pay --wallet "$W" --vendor "$cheat_ADDR" --units 5 2>&1) \
    && grep -q "^receipt: $err: the payment was made" <<<"$out" && pass "${mode}_named" || fail "${mode}_named" "$out"
  [ "$(cheat_said deviated)" = yes ] && grep -q " paid .*receipt: NONE VALID ($state); $err\$" <<<"$(last_line)" \
    && pass "${mode}_in_history" || fail "${mode}_in_history" "$(last_line)"
done
out=$("$OBOL" wallet history --wallet "$W")
[ "$(grep -c 'receipt: NONE VALID' <<<"$out")" = 3 ] && [ "$(grep -c 'receipt: verified' <<<"$out")" = 1 ] \
  && pass history_tells_receipts_apart || fail history_tells_receipts_apart "$out"
audit_ok && pass audit_at_end || fail audit_at_end
