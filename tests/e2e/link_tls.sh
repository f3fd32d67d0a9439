#!/usr/bin/env bash
# The issuer over HTTPS (libmicrohttpd's TLS, a throwaway certificate), the
# wallet and the vendor verifying it (libcurl, --issuer-ca), the policy for
# plain http:// (loopback only unless --insecure-http), and a payment whose
# every issuer call goes over TLS and whose device link is the encrypted one.
# Every address is on this machine: 0.0.0.0 stands for "an address that is not
# loopback" and is reached on loopback by Linux.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
W=$T/alice.wallet
audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }

tls_cert issuer && tls_cert stranger || { fail throwaway_certificates; exit 1; }
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-lock-max 600 >/dev/null
out=$("$OBOL" issuer serve --db "$DB" --tls-cert "$T/issuer.crt" 2>&1)
[ $? -eq 2 ] && grep -q 'tls-key go together' <<<"$out" && pass tls_cert_without_key_refused \
  || fail tls_cert_without_key_refused "$out"
expect_error TLS_CONFIG "$OBOL" issuer serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$T/issuer.crt" \
  --tls-key "$T/stranger.key" && pass tls_key_of_another_certificate_refused \
  || fail tls_key_of_another_certificate_refused
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$T/issuer.crt" --tls-key "$T/issuer.key" \
  || { fail issuer_serves_https; exit 1; }
case $issuer_URL in https://*) pass issuer_serves_https ;; *) fail issuer_serves_https "$issuer_URL" ;; esac
PORT=$issuer_PORT

# The certificate is what a client checks: curl with the CA, without it, and
# plain HTTP against the TLS port.
curl -sf --cacert "$T/issuer.crt" "$issuer_URL/keys" >/dev/null && pass curl_verifies_with_ca \
  || fail curl_verifies_with_ca
curl -sf "$issuer_URL/keys" >/dev/null 2>&1 && fail curl_without_ca_refused || pass curl_without_ca_refused
curl -sf --max-time 3 "http://127.0.0.1:$PORT/keys" >/dev/null 2>&1 && fail plain_http_to_tls_port_fails \
  || pass plain_http_to_tls_port_fails

# The wallet: verified against --issuer-ca, kept in the wallet for later calls.
expect_error HTTP_TLS "$OBOL" wallet init --wallet "$T/x.wallet" --issuer "$issuer_URL" \
  && pass wallet_refuses_unknown_ca || fail wallet_refuses_unknown_ca
expect_error HTTP_TLS "$OBOL" wallet init --wallet "$T/x.wallet" --issuer "$issuer_URL" --issuer-ca "$T/stranger.crt" \
  && pass wallet_refuses_other_ca || fail wallet_refuses_other_ca
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --issuer-ca "$T/issuer.crt" --account alice \
  | sed -n 's/^account-key: //p')
[ -n "$KEY" ] && pass wallet_init_over_https || fail wallet_init_over_https
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:3 >/dev/null
out=$("$OBOL" wallet account --wallet "$W" 2>&1)
[ "$(field balance "$out")" = "EUR:3" ] && pass wallet_keeps_its_ca || fail wallet_keeps_its_ca "$out"

# Plain http:// only on loopback, unless said otherwise (no TLS on this issuer).
start plain issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail plain_issuer; exit 1; }
check wallet_plain_http_on_loopback "$OBOL" wallet init --wallet "$T/loop.wallet" --issuer "$plain_URL"
expect_error HTTP_INSECURE "$OBOL" wallet init --wallet "$T/far.wallet" --issuer "http://0.0.0.0:$plain_PORT" \
  && [ ! -e "$T/far.wallet" ] && pass wallet_plain_http_elsewhere_refused || fail wallet_plain_http_elsewhere_refused
check wallet_insecure_http_when_told "$OBOL" wallet init --wallet "$T/far.wallet" \
  --issuer "http://0.0.0.0:$plain_PORT" --insecure-http
check wallet_insecure_http_kept "$OBOL" wallet balance --wallet "$T/far.wallet"

# The vendor: the same policy at init and at every start.
expect_error HTTP_INSECURE "$OBOL" vendor init --dir "$T/far" --issuer "http://0.0.0.0:$plain_PORT" \
  && pass vendor_plain_http_elsewhere_refused || fail vendor_plain_http_elsewhere_refused
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL" --issuer-ca "$T/issuer.crt") \
  && [ -s "$T/shop/issuer-ca.pem" ] && pass vendor_init_over_https || fail vendor_init_over_https "$out"
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
expect_error HTTP_INSECURE "$OBOL" vendor serve --dir "$T/shop" --issuer "http://0.0.0.0:$PORT" \
  --listen 127.0.0.1:0 && pass vendor_serve_plain_elsewhere_refused || fail vendor_serve_plain_elsewhere_refused
expect_error HTTP_TLS "$OBOL" vendor serve --dir "$T/shop" --issuer "$issuer_URL" --issuer-ca "$T/stranger.crt" \
  --listen 127.0.0.1:0 && pass vendor_refuses_other_ca || fail vendor_refuses_other_ca
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
  && pass vendor_serve_over_https || { fail vendor_serve_over_https; exit 1; }

# A certificate without the box key the link proves: the vendor does not start.
out=$("$OBOL" vendor init --dir "$T/keyless" --issuer "$issuer_URL" --issuer-ca "$T/issuer.crt")
"$OBOL" issuer vendor add --db "$DB" --name keyless --vendor-key "$(field vendor-key "$out")" \
  --out "$T/keyless/vendor.cert" >/dev/null
expect_error DEVLINK_CERT_KEY "$OBOL" vendor serve --dir "$T/keyless" --issuer "$issuer_URL" --listen 127.0.0.1:0 \
  && pass vendor_without_certified_box_key_refused || fail vendor_without_certified_box_key_refused

# A payment: withdraw, lock and settle over HTTPS, tokens over the encrypted link.
check withdraw_over_https "$OBOL" wallet withdraw --wallet "$W"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor_ADDR" --units 250 2>&1)
grep -q '^receipt: 250 unit(s) .*has settled' <<<"$out" && pass pay_over_tls_and_the_link || fail pay_over_tls_and_the_link "$out"
[ "$(balance shop)" = "EUR:0.25" ] && pass vendor_credited || fail vendor_credited "$(balance shop)"
audit_ok && pass audit_after_https || fail audit_after_https
