#!/usr/bin/env bash
# Issue 14 case 1, end to end: a codex payer re-signs a token under an id it
# already used (tests/attack/codex_token.c, codex-resign-id). The bank knows
# a token by its signed bytes: the payee is paid what it accepted, the payer
# is found, and a payee handed the re-signed id is never frozen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

codex_bank || { fail codex_resign_issuer; exit 1; }
for u in alice bob carol dave; do member $u && open_codex $u EUR:10 EUR:8; done

# Alice logs a payment of EUR 0.01 to Bob (never delivered), then hands Bob
# another token under the same id for EUR 5, signed with her key.
request bob
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:0.01 --out "$T/pay1" >/dev/null
request bob
out=$("$ATTACK" codex-resign-id --wallet "$(W alice)" --request "$T/req" --amount EUR:5 --out "$T/pay2")
[ -n "$(field token-id "$out")" ] && pass codex_resign_token_made || fail codex_resign_token_made "$out"
"$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay2" --out "$T/ack2" >/dev/null \
  && pass codex_resign_bob_accepts_offline || fail codex_resign_bob_accepts_offline
# The payer reconciles first; then Bob: he is paid both tokens.
"$OBOL" wallet codex sync --wallet "$(W alice)" >/dev/null
out=$("$OBOL" wallet codex sync --wallet "$(W bob)" 2>&1)
[ "$(balance bob)" = "EUR:15.01" ] && pass codex_resign_payee_paid_what_it_accepted \
  || fail codex_resign_payee_paid_what_it_accepted "$out"
[ "$(field findings "$out")" -ge 1 ] 2>/dev/null && pass codex_resign_fork_found || fail codex_resign_fork_found "$out"
expect_error CODEX_BLACKLISTED "$OBOL" wallet codex sync --wallet "$(W alice)" \
  && pass codex_resign_payer_blacklisted || fail codex_resign_payer_blacklisted

# Dave pays Bob EUR 0.01 (delivered), then hands Carol a token under the same
# id for EUR 5. Dave reconciles first; Carol is paid and not frozen.
request bob
"$OBOL" wallet codex pay --wallet "$(W dave)" --request "$T/req" --amount EUR:0.01 --out "$T/pay3" >/dev/null
"$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay3" --out "$T/ack3" >/dev/null
"$OBOL" wallet codex ack --wallet "$(W dave)" --in "$T/ack3" >/dev/null
request carol
"$ATTACK" codex-resign-id --wallet "$(W dave)" --request "$T/req" --amount EUR:5 --out "$T/pay4" >/dev/null
"$OBOL" wallet codex receive --wallet "$(W carol)" --in "$T/pay4" --out "$T/ack4" >/dev/null
"$OBOL" wallet codex sync --wallet "$(W dave)" >/dev/null
check codex_resign_other_payee_syncs "$OBOL" wallet codex sync --wallet "$(W carol)"
check codex_resign_other_payee_syncs_again "$OBOL" wallet codex sync --wallet "$(W carol)"
out=$("$OBOL" wallet codex close --wallet "$(W carol)" 2>&1)
[ "$(field 'paid out' "$out")" = "EUR:15" ] && pass codex_resign_other_payee_closes || fail codex_resign_other_payee_closes "$out"

check codex_resign_consistent "$OBOL" issuer codex check --db "$DB"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_resign_audit || fail codex_resign_audit "$out"
