#!/usr/bin/env bash
# Issue 14 case 4, end to end: a sync whose answer is lost, or answered with
# a 5xx although the bank applied it (tests/attack/codex_lossy_bank.c, a relay
# between a wallet and the bank), never wedges an honest wallet: while it is
# pending nothing changes what it sent (a refusal taken meanwhile, a newer
# blacklist fetched meanwhile), the retry gets the bank's stored answer, and
# an answer of unknown outcome does not read as final.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

codex_bank || { fail codex_wedge_issuer; exit 1; }

# relay NAME MODE: a relay to the bank that withholds the first sync answer
relay() {
  start_attack "$1" codex-lossy-bank --listen 127.0.0.1:0 --issuer "$issuer_URL" --path /codex/sync --mode "$2"
}
relay ra drop; relay rb drop; relay rc unknown; relay rd drop
member alice "$ra_URL"; member bob "$rb_URL"; member carol "$rc_URL"; member dave "$rd_URL"
member mallory; member erin
for u in alice bob carol dave mallory erin; do open_codex $u EUR:10 EUR:8; done

# A: Bob's sync loses its answer; Alice pays him EUR 2; Bob, whose sync is
# pending, refuses with a signed refusal; Alice's sync loses its answer too
# (the bank applied it: the token settled to Bob); Alice takes Bob's refusal
# while her sync is pending; her sync is sent again.
"$OBOL" wallet codex request --wallet "$(W bob)" --out "$T/req" >/dev/null
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:2 --out "$T/pay" >/dev/null
expect_error NETWORK "$OBOL" wallet codex sync --wallet "$(W bob)" || fail codex_wedge_bob_reply_lost
expect_error CODEX_SYNC_PENDING "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/refusal" \
  || fail codex_wedge_bob_refuses
expect_error NETWORK "$OBOL" wallet codex sync --wallet "$(W alice)" || fail codex_wedge_alice_reply_lost
check codex_wedge_refusal_taken_while_pending "$OBOL" wallet codex ack --wallet "$(W alice)" --in "$T/refusal"
check codex_wedge_retry_gets_the_stored_answer "$OBOL" wallet codex sync --wallet "$(W alice)"
check codex_wedge_next_sync_works "$OBOL" wallet codex sync --wallet "$(W alice)"
[ "$(balance alice)" = "EUR:10" ] && pass codex_wedge_refused_token_refunded || fail codex_wedge_refused_token_refunded "$(balance alice)"
check codex_wedge_bob_retry "$OBOL" wallet codex sync --wallet "$(W bob)"
check codex_wedge_bob_next_sync "$OBOL" wallet codex sync --wallet "$(W bob)"
[ "$(balance bob)" = "EUR:10" ] && pass codex_wedge_refuser_not_paid || fail codex_wedge_refuser_not_paid "$(balance bob)"
pay alice erin EUR:1 && check codex_wedge_alice_pays_on "$OBOL" wallet codex sync --wallet "$(W alice)" \
  || fail codex_wedge_alice_pays_on

# B: Carol's sync is applied, but she is answered 500 (a commit of unknown
# outcome): the request stays pending and the retry gets the stored answer.
pay carol erin EUR:1
expect_error STORE_OPEN "$OBOL" wallet codex sync --wallet "$(W carol)" || fail codex_wedge_carol_unknown
"$OBOL" wallet codex show --wallet "$(W carol)" | grep -q '^sync: pending' \
  && pass codex_wedge_unknown_outcome_stays_pending || fail codex_wedge_unknown_outcome_stays_pending
check codex_wedge_unknown_outcome_resolved "$OBOL" wallet codex sync --wallet "$(W carol)"
[ "$(balance carol)" = "EUR:9" ] && pass codex_wedge_carol_balance || fail codex_wedge_carol_balance "$(balance carol)"
pay carol erin EUR:1 && check codex_wedge_carol_goes_on "$OBOL" wallet codex sync --wallet "$(W carol)" \
  || fail codex_wedge_carol_goes_on

# C: Dave's sync loses its answer; meanwhile a fraud is found and Dave
# fetches the newer blacklist; the stored answer's older list does not wedge him.
"$OBOL" wallet codex blacklist --wallet "$(W dave)" >/dev/null
expect_error NETWORK "$OBOL" wallet codex sync --wallet "$(W dave)" || fail codex_wedge_dave_reply_lost
cp "$(W mallory)" "$T/mallory.copy"
pay mallory erin EUR:6
cp "$T/mallory.copy" "$(W mallory)"
pay mallory alice EUR:6
"$OBOL" wallet codex sync --wallet "$(W erin)" >/dev/null
"$OBOL" wallet codex sync --wallet "$(W alice)" >/dev/null
out=$("$OBOL" wallet codex blacklist --wallet "$(W dave)" 2>&1)
[ "$(field blacklist "$out")" = "version 1, 1 users" ] && pass codex_wedge_newer_blacklist_fetched \
  || fail codex_wedge_newer_blacklist_fetched "$out"
check codex_wedge_blacklist_does_not_wedge "$OBOL" wallet codex sync --wallet "$(W dave)"
out=$("$OBOL" wallet codex show --wallet "$(W dave)")
[ "$(field blacklist "$out")" = "version 1, 1 users" ] && pass codex_wedge_newer_blacklist_kept \
  || fail codex_wedge_newer_blacklist_kept "$out"

out=$("$OBOL" issuer codex check --db "$DB")
[ "$(field consistency "$out")" = OK ] && ! printf '%s\n' "$out" | grep -Eq '^user (alice|bob|carol|dave) .*blacklisted' \
  && pass codex_wedge_nobody_honest_blamed || fail codex_wedge_nobody_honest_blamed "$out"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_wedge_audit || fail codex_wedge_audit "$out"
