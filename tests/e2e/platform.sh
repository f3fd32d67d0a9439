#!/usr/bin/env bash
# The three roles' shells with real processes: issuer init/serve, signed keys
# pinned by a wallet, vendor keys and certificate, request authentication,
# body limits, idempotent retries, a crash of the issuer, the audit.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db

out=$("$OBOL" issuer init --db "$DB" --currency EUR) && pass issuer_init || fail issuer_init "$out"
MASTER=$(field master-key "$out")
expect_error ALREADY_INITIALISED "$OBOL" issuer init --db "$DB" --currency EUR \
  && pass issuer_init_twice_refused || fail issuer_init_twice_refused
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 && pass issuer_serve || { fail issuer_serve; exit 1; }

# The key document is signed by the master key init printed: a wallet pins it
# when it names that key, and refuses an issuer that shows another.
check wallet_init_pins_keys "$OBOL" wallet init --wallet "$T/alice.wallet" --issuer "$issuer_URL" \
  --issuer-key "$MASTER" --account alice
OTHER=$("$OBOL" vendor init --dir "$T/other" | sed -n 's/^vendor-key: //p')
expect_error KEYS_INVALID "$OBOL" wallet init --wallet "$T/mallory.wallet" --issuer "$issuer_URL" \
  --issuer-key "$OTHER" && pass keys_other_master_refused || fail keys_other_master_refused
[ ! -e "$T/mallory.wallet" ] && pass keys_refused_leaves_no_wallet || fail keys_refused_leaves_no_wallet
expect_error WALLET_EXISTS "$OBOL" wallet init --wallet "$T/alice.wallet" --issuer "$issuer_URL" \
  && pass wallet_exists_refused || fail wallet_exists_refused
OBOL_PASSPHRASE=wrong expect_error DECRYPT_FAILED "$OBOL" wallet account --wallet "$T/alice.wallet" \
  && pass wallet_wrong_passphrase || fail wallet_wrong_passphrase

# Bob's account, funded by the operator (alice's key is never registered).
KEY=$("$OBOL" wallet init --wallet "$T/bob.wallet" --issuer "$issuer_URL" --account bob | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name bob --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account bob --amount EUR:10 >/dev/null
out=$("$OBOL" wallet account --wallet "$T/bob.wallet" 2>&1)
[ "$(field balance "$out")" = "EUR:10" ] && pass authenticated_account || fail authenticated_account "$out"
BOB_ID=$(field id "$out")

# Authentication: a made-up signature, a stale time, no header.
SIG=$(printf 'A%.0s' $(seq 1 86))
http_expect 401 AUTH_FAILED -H "Obol-Auth: $BOB_ID:$(date +%s):$SIG" "$issuer_URL/account" \
  && pass forged_signature_refused || fail forged_signature_refused
http_expect 401 AUTH_FAILED "$issuer_URL/account" && pass missing_auth_refused || fail missing_auth_refused
http_expect 401 AUTH_FAILED -H "Obol-Auth: $BOB_ID:1000:$SIG" "$issuer_URL/account" \
  && pass stale_auth_refused || fail stale_auth_refused
expect_error NOT_FOUND "$OBOL" wallet account --wallet "$T/alice.wallet" \
  && pass unregistered_key_refused || fail unregistered_key_refused

# Bodies: too large, not JSON, unknown routes.
head -c 2000000 /dev/zero | tr '\0' 'x' >"$T/big"
http_expect 413 WIRE_OVERSIZED -X POST --data-binary "@$T/big" "$issuer_URL/account/payout" \
  && pass oversized_body_refused || fail oversized_body_refused
http_expect 400 WIRE_MALFORMED -X POST -d '{"request_id": "x", "amount": ' "$issuer_URL/account/payout" \
  && pass garbage_json_refused || fail garbage_json_refused
http_expect 400 WIRE_MALFORMED -X POST -d '{"a":1,"a":2}' "$issuer_URL/account/payout" \
  && pass duplicate_key_refused || fail duplicate_key_refused
http_expect 404 HTTP_NOT_FOUND "$issuer_URL/no/such/route" && pass unknown_route || fail unknown_route
http_expect 405 HTTP_METHOD -X POST -d '{}' "$issuer_URL/keys" && pass wrong_method || fail wrong_method

# Idempotency: the same request id twice moves money once; reused with
# another body it is refused.
"$OBOL" wallet payout --wallet "$T/bob.wallet" --amount EUR:1 --request-id r1 >/dev/null
out=$("$OBOL" wallet payout --wallet "$T/bob.wallet" --amount EUR:1 --request-id r1 2>&1)
[ "$(field balance "$out")" = "EUR:9" ] && pass idempotent_retry_same_answer || fail idempotent_retry_same_answer "$out"
out=$("$OBOL" wallet account --wallet "$T/bob.wallet")
[ "$(field balance "$out")" = "EUR:9" ] && pass idempotent_retry_moves_once || fail idempotent_retry_moves_once "$out"
expect_error IDEMPOTENCY_MISMATCH "$OBOL" wallet payout --wallet "$T/bob.wallet" --amount EUR:2 --request-id r1 \
  && pass request_id_reuse_refused || fail request_id_reuse_refused
expect_error LEDGER_INSUFFICIENT_FUNDS "$OBOL" wallet payout --wallet "$T/bob.wallet" --amount EUR:100 \
  && pass overdraft_refused || fail overdraft_refused

# A vendor: keys, certificate from the issuer, the daemon fetching it itself.
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
VKEY=$(field vendor-key "$out"); BKEY=$(field box-key "$out")
[ "$(field issuer-key "$out")" = "$MASTER" ] && pass vendor_pins_issuer || fail vendor_pins_issuer "$out"
check vendor_certificate "$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$VKEY" --box-key "$BKEY"
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  && [ -s "$T/shop/vendor.cert" ] && pass vendor_serve_fetches_cert || fail vendor_serve_fetches_cert
expect_error VENDOR_NO_CERT "$OBOL" vendor serve --dir "$T/other" --issuer "$issuer_URL" --listen 127.0.0.1:0 \
  && pass vendor_without_cert_refused || fail vendor_without_cert_refused
kill9 vendor
restart vendor && pass vendor_restart || fail vendor_restart

# The issuer dies hard and comes back; the books still balance.
kill9 issuer
restart issuer && pass issuer_restart || fail issuer_restart
out=$("$OBOL" wallet account --wallet "$T/bob.wallet" 2>&1)
[ "$(field balance "$out")" = "EUR:9" ] && pass state_after_crash || fail state_after_crash "$out"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass audit_ok || fail audit_ok "$out"
