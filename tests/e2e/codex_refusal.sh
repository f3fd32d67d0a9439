#!/usr/bin/env bash
# Issue 14 case 7, end to end: a payee that claims a token and also signs a
# refusal of it (tests/attack/codex_claim_refuse.c) wins nothing by
# reconciling first: the claim loses, the payer is refunded, the payee is
# found. And a refusal lost on its way to the payer does not pay the payee
# that refused: the payee hands it to the bank itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

codex_bank || { fail codex_refusal_issuer; exit 1; }
for u in alice bob carol dave; do member $u && open_codex $u EUR:10 EUR:8; done

# Bob takes Alice's EUR 3 and signs a refusal of it as well; he reconciles
# first; Alice takes the refusal and reconciles.
"$OBOL" wallet codex request --wallet "$(W bob)" --out "$T/req" >/dev/null
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:3 --out "$T/pay" >/dev/null
out=$("$ATTACK" codex-claim-and-refuse --wallet "$(W bob)" --in "$T/pay" --ack "$T/ack" --refusal "$T/refusal")
[ "$(field balance "$out")" = "EUR:13" ] && pass codex_refusal_payee_claims || fail codex_refusal_payee_claims "$out"
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
check codex_refusal_payer_takes_refusal "$OBOL" wallet codex ack --wallet "$(W alice)" --in "$T/refusal"
out=$("$OBOL" wallet codex sync --wallet "$(W alice)" 2>&1)
[ "$(balance alice)" = "EUR:10" ] && pass codex_refusal_claim_loses_payer_refunded || fail codex_refusal_claim_loses_payer_refunded "$out"
expect_error CODEX_BLACKLISTED "$OBOL" wallet codex sync --wallet "$(W bob)" \
  && pass codex_refusal_payee_found || fail codex_refusal_payee_found
out=$("$OBOL" issuer codex check --db "$DB")
printf '%s\n' "$out" | grep -q '^user bob .*blacklisted' && ! printf '%s\n' "$out" | grep -q '^user alice .*blacklisted' \
  && pass codex_refusal_only_the_payee_blamed || fail codex_refusal_only_the_payee_blamed "$out"

# Carol pays Dave EUR 2 while Dave's sync waits for an unreachable bank:
# Dave refuses with a signed refusal, which never reaches Carol. Carol
# reconciles (her pending token is settled to Dave); then Dave: Carol gets
# the value back at her next sync, Dave is not paid a token he refused.
stop issuer
expect_error NETWORK "$OBOL" wallet codex sync --wallet "$(W dave)" || fail codex_refusal_dave_pending
"$OBOL" wallet codex request --wallet "$(W dave)" --out "$T/req" >/dev/null
"$OBOL" wallet codex pay --wallet "$(W carol)" --request "$T/req" --amount EUR:2 --out "$T/pay" >/dev/null
expect_error CODEX_SYNC_PENDING "$OBOL" wallet codex receive --wallet "$(W dave)" --in "$T/pay" --out "$T/lost" \
  && pass codex_refusal_dave_refuses || fail codex_refusal_dave_refuses
restart issuer
"$OBOL" wallet codex sync --wallet "$(W carol)" >/dev/null
[ "$(balance carol)" = "EUR:8" ] || fail codex_refusal_carol_settled "$(balance carol)"
"$OBOL" wallet codex sync --wallet "$(W dave)" >/dev/null
"$OBOL" wallet codex sync --wallet "$(W dave)" >/dev/null
[ "$(balance dave)" = "EUR:10" ] && pass codex_refusal_refuser_not_paid || fail codex_refusal_refuser_not_paid "$(balance dave)"
"$OBOL" wallet codex sync --wallet "$(W carol)" >/dev/null
[ "$(balance carol)" = "EUR:10" ] && pass codex_refusal_lost_refusal_refunds_payer || fail codex_refusal_lost_refusal_refunds_payer "$(balance carol)"

check codex_refusal_consistent "$OBOL" issuer codex check --db "$DB"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_refusal_audit || fail codex_refusal_audit "$out"
