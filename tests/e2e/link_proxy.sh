#!/usr/bin/env bash
# The issuer behind a TLS-terminating reverse proxy, as docs/operations.md
# shows it: two issuer processes on loopback in plain HTTP, nginx in front
# with a throwaway certificate; a wallet and a vendor set up with the proxy's
# https:// URL and CA make authenticated requests, withdraw, pay and settle
# through it.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || { fail nginx_installed "nginx is missing: scripts/deps.sh check installs it"; exit 1; }
DB=sqlite:$T/issuer.db
W=$T/alice.wallet
tls_cert proxy || { fail throwaway_certificate; exit 1; }
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-lock-max 600 >/dev/null
start i1 issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
start i2 issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
# nginx listens on a port of our choosing: one below the kernel's ephemeral
# range (32768 up), from which the daemons' :0 ports and every outgoing
# connection draw theirs; another run may hold it too, so up to 5 tries.
for try in 1 2 3 4 5; do
PORT=$(( 20000 + RANDOM % 12000 ))
cat >"$T/nginx.conf" <<NGINX
daemon off;
pid $T/nginx.pid;
error_log $T/nginx.err;
events {}
http {
  access_log $T/nginx.access;
  client_body_temp_path $T/body; proxy_temp_path $T/proxy;
  upstream obol_issuer { server $i1_ADDR; server $i2_ADDR; }
  server {
    listen 127.0.0.1:$PORT ssl;
    server_name localhost;
    ssl_certificate     $T/proxy.crt;
    ssl_certificate_key $T/proxy.key;
    client_max_body_size 2m;
    location / {
      proxy_pass http://obol_issuer;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
nginx -e "$T/nginx.err" -p "$T" -c "$T/nginx.conf" </dev/null >"$T/nginx.out" 2>&1 &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; e2e_cleanup' EXIT
for i in $(seq 1 100); do
  curl -s --cacert "$T/proxy.crt" "https://localhost:$PORT/keys" >/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.05
done
kill -0 "$NGINX_PID" 2>/dev/null && break
done
URL=https://localhost:$PORT

KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$URL" --issuer-ca "$T/proxy.crt" --account alice \
  | sed -n 's/^account-key: //p')
[ -n "$KEY" ] && pass wallet_init_through_proxy || fail wallet_init_through_proxy "$(cat "$T/nginx.err")"
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:3 >/dev/null
check signed_request_through_proxy "$OBOL" wallet payout --wallet "$W" --amount EUR:1
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$URL" --issuer-ca "$T/proxy.crt")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
start vendor vendor serve --dir "$T/shop" --issuer "$URL" --listen 127.0.0.1:0 || { fail vendor_serve; exit 1; }
check withdraw_through_proxy "$OBOL" wallet withdraw --wallet "$W"
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor_ADDR" --units 10 2>&1)
grep -q '^receipt: 10 unit(s) .*has settled' <<<"$out" && pass pay_and_settle_through_proxy \
  || fail pay_and_settle_through_proxy "$out"
[ "$(wc -l <"$T/nginx.access")" -ge 5 ] && pass requests_went_through_the_proxy || fail requests_went_through_the_proxy
"$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK' && pass audit_after_proxy || fail audit_after_proxy
