#!/usr/bin/env bash
# payword (seed 003) with real processes: registration for an account the
# operator opened, token purchase, purchases at two generic vendors
# (almost-online and batch reporting) and a specific one, each paying a
# user-signed range, the product page, refusals, a lost certificate
# regenerated with its unspent value after the grace, the CRL, and the
# audit after each step.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
export OBOL_PAYWORD_PASSWORD="correct horse battery"

GRACE=3
"$OBOL" issuer init --db "$DB" --currency EUR --payword-token-value EUR:0.01 --payword-grace $GRACE >/dev/null \
  && pass issuer_init || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
audit() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -q '^audit: OK$'; }

# Vendors: A generic almost-online, B generic batch (1 s), S specific.
vendor() { # NAME MODE REPORT
  local out vkey bkey
  out=$("$OBOL" vendor init --dir "$T/$1" --issuer "$issuer_URL")
  vkey=$(field vendor-key "$out"); bkey=$(field box-key "$out")
  "$OBOL" issuer vendor add --db "$DB" --name "$1" --vendor-key "$vkey" --box-key "$bkey" \
    --out "$T/$1/vendor.cert" >/dev/null
  "$OBOL" vendor payword setup --dir "$T/$1" --mode "$2" --report "$3" --interval 1 --crl-interval 1 >/dev/null
  printf 'The news of the day at %s.\n' "$1" >"$T/article.txt"
  "$OBOL" vendor payword product --dir "$T/$1" --id article-1 --price EUR:0.02 --file "$T/article.txt" >/dev/null
  head -c 3000 /dev/urandom >"$T/image.bin"
  "$OBOL" vendor payword product --dir "$T/$1" --id image-1 --price EUR:0.05 --file "$T/image.bin" \
    --type image/png >/dev/null
  start "$1" vendor serve --dir "$T/$1" --issuer "$issuer_URL" --listen 127.0.0.1:0 --http 127.0.0.1:0
}
vendor shopa generic almost-online && vendor shopb generic batch && vendor shops specific almost-online \
  && pass vendors_start || { fail vendors_start; exit 1; }
SHOPS_ID=$("$OBOL" issuer account show --db "$DB" --account shops | sed -n 's/^id: //p')

# Registration: for an account the operator opened, a user name once, a
# password of 8 bytes at least.
account() { # NAME: a wallet with an account key, and the operator's account for it
  local out
  out=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "$issuer_URL" --account "$1")
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$(field account-key "$out")" >/dev/null
}
"$OBOL" wallet init --wallet "$T/mallory.wallet" --issuer "$issuer_URL" --account mallory >/dev/null
expect_error NOT_FOUND "$OBOL" wallet payword register --wallet "$T/mallory.wallet" --username mallory \
  && pass no_registration_without_an_account || fail no_registration_without_an_account
account alice && account eve
check register "$OBOL" wallet payword register --wallet "$T/alice.wallet" --username alice
expect_error PAYWORD_USER_EXISTS "$OBOL" wallet payword register --wallet "$T/eve.wallet" --username alice \
  && pass username_taken || fail username_taken
OBOL_PAYWORD_PASSWORD=short expect_error PAYWORD_PASSWORD_WEAK "$OBOL" wallet payword register \
  --wallet "$T/eve.wallet" --username eve && pass weak_password || fail weak_password

# Tokens cost money; the operator funds alice.
expect_error LEDGER_INSUFFICIENT_FUNDS "$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 10 \
  && pass unfunded_purchase_refused || fail unfunded_purchase_refused
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:1 >/dev/null
out=$("$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 20 2>&1)
[ "$(field unspent "$out")" = "20 tokens (EUR:0.2)" ] && pass buy_tokens || fail buy_tokens "$out"
OBOL_PAYWORD_PASSWORD=wrong-password expect_error DECRYPT_FAILED "$OBOL" wallet payword show \
  --wallet "$T/alice.wallet" && pass certificate_sealed_under_password || fail certificate_sealed_under_password
audit && pass audit_after_purchase || fail audit_after_purchase

# Purchases at A (almost-online) and B (batch), the product page.
out=$("$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shopa_ADDR" --product article-1 \
  --http "http://$shopa_ADDR2" --out "$T/got.txt" 2>&1)
AUTH_A=$(field authorisation "$out")
[ -n "$AUTH_A" ] && grep -q "news of the day at shopa" "$T/got.txt" && pass buy_article_at_a || fail buy_article_at_a "$out"
out=$("$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shopb_ADDR" --product image-1 \
  --http "http://$shopb_ADDR2" --out "$T/got.png" 2>&1)
cmp -s "$T/got.png" "$T/shopb/payword-products/image-1" && pass buy_image_at_b || fail buy_image_at_b "$out"
out=$("$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shopa_ADDR" --product article-1 2>&1)
[ "$(field unspent "$out")" = "11 tokens (EUR:0.11)" ] && pass third_purchase || fail third_purchase "$out"
http_expect 403 PAYWORD_AUTH_INVALID "http://$shopa_ADDR2/payword/product/article-1?auth=12345" \
  && pass product_needs_auth || fail product_needs_auth
http_expect 403 PAYWORD_AUTH_INVALID "http://$shopa_ADDR2/payword/product/image-1?auth=$AUTH_A" \
  && pass auth_is_for_its_product || fail auth_is_for_its_product
check product_fetched_again "$OBOL" wallet payword fetch --wallet "$T/alice.wallet" \
  --http "http://$shopa_ADDR2" --product article-1

# Reports: A's at once, B's at the next batch tick; the agent pays both.
paid() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
for i in $(seq 1 50); do [ "$(paid shopa)" = "EUR:0.04" ] && [ "$(paid shopb)" = "EUR:0.05" ] && break; sleep 0.1; done
[ "$(paid shopa)" = "EUR:0.04" ] && pass almost_online_reported || fail almost_online_reported "$(paid shopa)"
[ "$(paid shopb)" = "EUR:0.05" ] && pass batch_reported || fail batch_reported "$(paid shopb)"
audit && pass audit_after_reports || fail audit_after_reports

# Specific system: alice's generic chain is refused at S; a chain for S is
# refused by A.
expect_error PAYWORD_NO_CERT "$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shops_ADDR" \
  --product article-1 && pass specific_needs_its_chain || fail specific_needs_its_chain
check buy_specific_tokens "$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 5 --vendor-id "$SHOPS_ID"
check buy_at_specific "$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shops_ADDR" --product article-1

# A lost certificate: revoked at once; its unreported tokens wait the grace,
# then the unspent value (11 tokens) is carried.
cp "$T/alice.wallet" "$T/stale.wallet"
out=$("$OBOL" wallet payword regenerate --wallet "$T/alice.wallet" --lost 2>&1)
[ "$(field held "$out" | cut -d' ' -f1)" = 11 ] && pass regenerate_lost_holds || fail regenerate_lost_holds "$out"
sleep $((GRACE + 1))
check regenerate_after_the_grace "$OBOL" wallet payword regenerate --wallet "$T/alice.wallet"
out=$("$OBOL" wallet payword show --wallet "$T/alice.wallet")
printf '%s\n' "$out" | grep -q "^unspent: 11 tokens (EUR:0.11)$" && pass regenerated_unspent_value \
  || fail regenerated_unspent_value "$out"
# The old certificate is revoked: vendors refuse it once their CRL is fresh.
expect_error PAYWORD_CERT_REVOKED "$OBOL" wallet payword buy --wallet "$T/stale.wallet" --vendor "$shopa_ADDR" \
  --product article-1 && pass revoked_certificate_refused || fail revoked_certificate_refused
check buy_after_regeneration "$OBOL" wallet payword buy --wallet "$T/alice.wallet" --vendor "$shopa_ADDR" --product article-1
audit && pass audit_at_end || fail audit_at_end
