#!/usr/bin/env bash
# The vendor daemon renews its certificate itself (src/vendor/renew.h), on
# the test clock (OBOL_TEST_CLOCK): it serves under the old certificate until
# the new one is in hand, then wallets see the new one; payments taken under
# either are credited; a vendor that was down past its certificate's end is
# refused with VENDOR_CERT_EXPIRED until the operator renews it (`issuer
# vendor add` with the same name and keys), then starts with that one and
# nothing it earned is lost; the audit.
. "$(dirname "$0")/lib.sh"

CLK=$T/clock
DAY=86400
set_clock() { echo "$1" >"$CLK.new" && mv "$CLK.new" "$CLK"; }
set_clock 0
export OBOL_TEST_CLOCK=$CLK
DB=sqlite:$T/issuer.db
W=$T/alice.wallet
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
pay100() {
  local out
  out=$("$OBOL" wallet pay --wallet "$W" --vendor "$shop_ADDR" --units 100 2>&1)
  grep -q '^receipt: 100 unit(s)' <<<"$out" || { echo "$out"; return 1; }
}
wait_shop_balance() {
  local i
  for i in $(seq 1 120); do [ "$(balance shop)" = "$1" ] && return 0; sleep 0.25; done
  echo "shop balance $(balance shop), not $1"; return 1
}

"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 >/dev/null \
  || { fail vendor_renew_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail vendor_renew_setup "issuer serve"; exit 1; }
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:3 >/dev/null
VOUT=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
VKEY=$(field vendor-key "$VOUT")
BKEY=$(field box-key "$VOUT")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$VKEY" --box-key "$BKEY" --valid-days 40 \
  --out "$T/shop/vendor.cert" >/dev/null
export OBOL_LOG=info
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
  --renew-margin-days 10 --renew-check-seconds 1 || { fail vendor_renew_setup "vendor serve"; exit 1; }
"$OBOL" wallet withdraw --wallet "$W" >/dev/null || fail vendor_renew_setup withdraw
"$OBOL" wallet ecash register --wallet "$W" >/dev/null || fail vendor_renew_setup ecash_register
"$OBOL" wallet ecash topup --wallet "$W" --amount EUR:0.01 >/dev/null || fail vendor_renew_setup ecash_topup

check pay_under_first_certificate pay100
FIRST=$(cat "$T/shop/vendor.cert")
# Day 20: outside the margin, nothing asked.
set_clock $((20 * DAY))
sleep 2
[ "$(cat "$T/shop/vendor.cert")" = "$FIRST" ] && ! grep -q "certificate renewed" "$T/shop.log" \
  && pass not_renewed_before_margin || fail not_renewed_before_margin
# Day 31: within 10 days of its end (day 40): the daemon renews by itself.
set_clock $((31 * DAY))
for i in $(seq 1 120); do grep -q "certificate renewed" "$T/shop.log" && break; sleep 0.25; done
SECOND=$(cat "$T/shop/vendor.cert")
grep -q "certificate renewed" "$T/shop.log" && [ "$SECOND" != "$FIRST" ] \
  && pass vendor_renews_within_margin || fail vendor_renews_within_margin "$(tail -n 5 "$T/shop.log")"
check pay_after_renewal pay100
# Day 45: the first certificate has ended, the renewed one (day 31 + 40) serves.
set_clock $((45 * DAY))
sleep 2
check pay_after_first_certificate_ended pay100
[ "$(grep -c "certificate renewed" "$T/shop.log")" = 1 ] && [ "$(cat "$T/shop/vendor.cert")" = "$SECOND" ] \
  && pass renewed_once || fail renewed_once "$(grep -c "certificate renewed" "$T/shop.log")"
wait_shop_balance EUR:0.3 && pass credited_across_renewal || fail credited_across_renewal

# An ecash payment taken while the issuer is away (offline, under the
# renewed certificate): its deposit waits in the vendor's outbox.
stop issuer
out=$("$OBOL" wallet ecash pay --wallet "$W" --vendor "$shop_ADDR" 2>&1) && pass ecash_paid_issuer_away \
  || fail ecash_paid_issuer_away "$out"
# Down from day 45 to day 80: the renewed certificate (until day 71) ended
# while nobody could renew it.
stop shop
restart issuer || fail issuer_restarts
set_clock $((80 * DAY))
out=$(OBOL_LOG=info "$OBOL" vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 2>&1)
grep -q VENDOR_CERT_EXPIRED <<<"$out" && pass expired_vendor_refused_named || fail expired_vendor_refused_named "$out"
# The operator's renewal: the same name and keys, the same account.
check operator_renews "$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$VKEY" --box-key "$BKEY" \
  --valid-days 40
restart shop || fail shop_restarts_after_operator_renewal
grep -q "had expired; the issuer's newest one is installed" "$T/shop.log" \
  && pass vendor_fetches_operator_renewal || fail vendor_fetches_operator_renewal "$(tail -n 5 "$T/shop.log")"
check pay_after_operator_renewal pay100
# the deposit of the payment taken under the ended certificate is credited
wait_shop_balance EUR:0.41 && pass earned_value_intact || fail earned_value_intact
out=$("$OBOL" audit --db "$DB")
printf '%s' "$out" | grep -q "^audit: OK" && pass audit_ok || fail audit_ok "$out"
