#!/usr/bin/env bash
# Certificates that expire (issue 12, case 10), with a bank whose
# certificates live LIFE seconds: a wallet renews its key before expiry and
# deposits, with the new key, the coins it received under the old one after
# the old certificate expired; a payer whose certificate expired renews and
# pays again; the vendor daemon renews its key at a start late in its
# certificate's life, and what it received before is credited; the audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecash_lib.bash"

LIFE=20
DB=sqlite:$T/issuer.db
"$OBOL" issuer init --db "$DB" --currency EUR --ecash-cert-lifetime $LIFE >/dev/null \
  || { fail ecash_renew_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail ecash_renew_setup "issuer serve"; exit 1; }


STARTED=$(date +%s)
join alice EUR:10 >/dev/null || fail register_alice
CAROL_EXPIRY=$(field ecash-cert-expiry "$(join carol)") || fail register_carol
VOUT=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$VOUT")" \
  --box-key "$(field box-key "$VOUT")" --out "$T/shop/vendor.cert" >/dev/null
export OBOL_LOG=info
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:1 \
  || { fail ecash_renew_vendor; exit 1; }
"$OBOL" wallet ecash topup --wallet "$(W alice)" --amount EUR:3 --coin EUR:1 >/dev/null || fail topup_alice

# carol takes a coin under her first key, then renews it.
start carolr wallet ecash receive --wallet "$(W carol)" --listen 127.0.0.1:0 --price EUR:1 --count 1
check pay_carol_old_key "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$carolr_ADDR"
wait "$carolr_PID" 2>/dev/null; unset "E2E_PIDS[carolr]"
check pay_shop_before_renewal "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR"
out=$("$OBOL" wallet ecash renew --wallet "$(W carol)" 2>&1)
[ -n "$(field retired-key "$out")" ] && [ "$(field ecash-key "$out")" != "$(field retired-key "$out")" ] \
  && pass wallet_renews_key || fail wallet_renews_key "$out"
out=$("$OBOL" wallet ecash coins --wallet "$(W carol)")
printf '%s' "$out" | grep -q "received, 1 claim" && [ "$(field ecash-balance "$out")" = "EUR:1" ] \
  && pass coin_under_old_key_kept || fail coin_under_old_key_kept "$out"

# Past the first certificates' expiry.
while [ "$(date +%s)" -le "$((CAROL_EXPIRY + 1))" ]; do sleep 0.5; done
out=$("$OBOL" wallet ecash deposit --wallet "$(W carol)" 2>&1)
[ "$(field credited "$out")" = "EUR:1" ] && pass deposit_after_old_cert_expired || fail deposit_after_old_cert_expired "$out"
[ "$(balance carol)" = "EUR:1" ] && pass carol_credited || fail carol_credited "$(balance carol)"

# alice's certificate expired too: refused until she renews.
expect_error ECASH_CERT_EXPIRED "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR" \
  && pass expired_payer_refused || fail expired_payer_refused
check payer_renews "$OBOL" wallet ecash renew --wallet "$(W alice)"

# The vendor's own certificate is past its life: it renews at its start
# (once the bank answers), and takes payments again.
restart shop || fail shop_restarts
grep -q "merchant key renewed" "$T/shop.log" && pass vendor_renews_key_at_start \
  || fail vendor_renews_key_at_start "$(grep ecash "$T/shop.log" | tail -n 3)"
check pay_after_renewals "$OBOL" wallet ecash pay --wallet "$(W alice)" --vendor "$shop_ADDR"
for i in $(seq 1 120); do [ "$(balance shop)" = "EUR:2" ] && break; sleep 0.25; done
[ "$(balance shop)" = "EUR:2" ] && pass vendor_credited_across_renewal || fail vendor_credited_across_renewal "$(balance shop)"
out=$("$OBOL" audit --db "$DB")
printf '%s' "$out" | grep -q "^audit: OK" && pass audit_ok || fail audit_ok "$out"
echo "ran in $(($(date +%s) - STARTED)) s"
