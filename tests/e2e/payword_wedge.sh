#!/usr/bin/env bash
# A token purchase the agent applied, but answered with a database error (a
# commit of unknown outcome: the server died after COMMIT), never wedges an
# honest wallet (P3): the request stays pending and its resend gets the
# stored answer, the new certificate. Forgetting it would leave the wallet
# signing positions on a certificate the agent has already ended, refused
# PAYWORD_POSITION_INVALID for ever, the value of the new chain out of reach.
# The relay between the wallet and the agent is tests/attack/codex_lossy_bank.c.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
export OBOL_PAYWORD_PASSWORD="correct horse battery"
"$OBOL" issuer init --db "$DB" --currency EUR --payword-token-value EUR:0.01 >/dev/null \
  && pass payword_wedge_init || { fail payword_wedge_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail payword_wedge_issuer; exit 1; }
audit() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -q '^audit: OK$'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }

# relay MODE COUNT: the wallet's way to the agent; it withholds the answer
# to the first COUNT purchases (after the agent applied them)
relay() {
  start_attack relay codex-lossy-bank --listen "${relay_ADDR:-127.0.0.1:0}" --issuer "$issuer_URL" \
    --path /payword/buy --mode "$1" --count "$2"
}
relay unknown 0 || { fail payword_wedge_relay; exit 1; }
out=$("$OBOL" wallet init --wallet "$T/alice.wallet" --issuer "$relay_URL" --account alice)
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$(field account-key "$out")" >/dev/null
"$OBOL" wallet payword register --wallet "$T/alice.wallet" --username alice >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:1 >/dev/null
out=$("$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 20 2>&1)
[ "$(field unspent "$out")" = "20 tokens (EUR:0.2)" ] && pass payword_wedge_first_purchase \
  || fail payword_wedge_first_purchase "$out"

# The second purchase (it carries the first chain over by a signed
# position) is applied, and answered 500 STORE_OPEN.
stop relay
relay unknown 1 || { fail payword_wedge_relay_lossy; exit 1; }
expect_error STORE_OPEN "$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 10 \
  && pass payword_wedge_answer_unknown || fail payword_wedge_answer_unknown
grep -q "^intercepted: /payword/buy" "$T/relay.log" && pass payword_wedge_purchase_applied \
  || fail payword_wedge_purchase_applied
"$OBOL" wallet payword show --wallet "$T/alice.wallet" | grep -q "^pending: a token purchase" \
  && pass payword_wedge_stays_pending || fail payword_wedge_stays_pending
[ "$(balance alice)" = "EUR:0.7" ] && pass payword_wedge_charged_once || fail payword_wedge_charged_once "$(balance alice)"

# The resend gets the stored answer: the new certificate, 20 carried + 10.
out=$("$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 10 2>&1)
[ "$(field unspent "$out")" = "30 tokens (EUR:0.3)" ] && pass payword_wedge_resend_gets_the_certificate \
  || fail payword_wedge_resend_gets_the_certificate "$out"
[ "$(balance alice)" = "EUR:0.7" ] && pass payword_wedge_not_charged_twice \
  || fail payword_wedge_not_charged_twice "$(balance alice)"
out=$("$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 5 2>&1)
[ "$(field unspent "$out")" = "35 tokens (EUR:0.35)" ] && pass payword_wedge_buys_on || fail payword_wedge_buys_on "$out"
audit && pass payword_wedge_audit || fail payword_wedge_audit
