#!/usr/bin/env bash
# The coupon scheme under attack, with real processes: cheating parties of
# build/obol-attack (tests/attack/coupon_*.c) against the real issuer, the
# real vendor daemons and the shipping wallet; after each, the honest
# party's coins, balance and standing, and the audit.
#   greedy vendor     asks for tokens again and again, never serves (P2)
#   forged refusal    answers every payment with a refusal it made up (P3)
#   lossy proxy       loses a withdrawal's answer (a 502 page); the retry
#                     comes after the denomination's window closed (P3)
#   link holder       a payer that keeps the link alive past T with junk
#                     frames, then spends the same tokens at another vendor
# and the refund of a coin's rest after its spend-until.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
coins() { "$OBOL" wallet coins --wallet "$T/$1.wallet" 2>&1; }

# A wallet NAME with its account funded EUR:5, talking to the issuer at URL.
wallet() {
  local name=$1 url=$2 key
  key=$("$OBOL" wallet init --wallet "$T/$name.wallet" --issuer "$url" --account "$name" | sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$DB" --kind user --name "$name" --auth-key "$key" >/dev/null
  "$OBOL" issuer fund --db "$DB" --account "$name" --amount EUR:5 >/dev/null
}

# Runs a cheating party in the background (output in $T/NAME.out); for the
# listening ones, waits for its "listening on" line and sets NAME_ADDR.
attack() {
  local name=$1 i; shift
  "$ATTACK" "$@" >"$T/$name.out" 2>&1 </dev/null &
  printf -v "${name}_PID" '%s' "$!"
  for i in $(seq 1 200); do
    if grep -q '^listening on ' "$T/$name.out"; then
      printf -v "${name}_ADDR" '%s' "$(sed -n 's/^listening on //p' "$T/$name.out" | head -n 1)"; return 0
    fi
    kill -0 "$!" 2>/dev/null || break
    sleep 0.05
  done
  return 1
}

# Denomination 1: EUR:1 in 1000 tokens. Denomination 2: EUR:0.5 in 500
# tokens, withdrawn for 45 s and spendable for 60 s from now, for the lost
# answer and the refund: their first halves come first (the setup before them
# took over 20 s on a loaded machine, tests/run.sh running other parts beside).
# Locks last 6 s (the vendor stops 1 s before T).
T0=$(date +%s)
check issuer_init "$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 \
  --coupon-denom EUR:0.5,500,45s,60s --coupon-lock-max 6 --coupon-rsa-bits 1024
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
vendor() {
  local v=$1 out
  out=$("$OBOL" vendor init --dir "$T/$v" --issuer "$issuer_URL")
  "$OBOL" issuer vendor add --db "$DB" --name $v --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$T/$v/vendor.cert" >/dev/null
}
vendor vendor1
start vendor1 vendor serve --dir "$T/vendor1" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
  || { fail vendor1_serve; exit 1; }

# ---- a lost withdrawal answer (first half): the proxy throws the issuer's
# answer away; the account is debited, the wallet has no coin yet, and keeps
# the withdrawal pending (a 502 page is not an answer)
attack proxy coupon-lossy-proxy --listen 127.0.0.1:0 --issuer "$issuer_URL" --lose /coupon/withdraw \
  || fail proxy_start "$(cat "$T/proxy.out")"
wallet bob "http://$proxy_ADDR"
if "$OBOL" wallet withdraw --wallet "$T/bob.wallet" --denom 2 >"$T/bob.out" 2>&1; then
  fail withdraw_answer_lost "the withdrawal succeeded through the proxy"
else
  grep -q '^lost: POST /coupon/withdraw' "$T/proxy.out" && [ "$(balance bob)" = "EUR:4.5" ] \
    && pass withdraw_answer_lost || fail withdraw_answer_lost "$(balance bob) $(cat "$T/proxy.out" "$T/bob.out")"
fi
grep -q '^coupon balance: EUR:0 in 0 coin' <<<"$("$OBOL" wallet balance --wallet "$T/bob.wallet")" \
  && pass no_coin_yet || fail no_coin_yet

# alice spends 100 tokens of a short-lived coin now, and refunds the rest
# when it can no longer be spent (below)
wallet alice "$issuer_URL"
check alice_withdraw "$OBOL" wallet withdraw --wallet "$T/alice.wallet" --denom 2
out=$("$OBOL" wallet pay --wallet "$T/alice.wallet" --vendor "$vendor1_ADDR" --units 100 2>&1)
grep -q '^receipt: 100 unit(s)' <<<"$out" && pass alice_pays_100 || fail alice_pays_100 "$out"

for v in vendor2 greedy forged; do vendor $v; done
start vendor2 vendor serve --dir "$T/vendor2" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.001 \
  || { fail vendor2_serve; exit 1; }

# ---- a greedy vendor: the wallet reveals what 10 units cost, no more
wallet erin "$issuer_URL"
check erin_withdraw "$OBOL" wallet withdraw --wallet "$T/erin.wallet" --denom 1 --count 2
attack greedy coupon-greedy-vendor --dir "$T/greedy" --issuer "$issuer_URL" --listen 127.0.0.1:0 \
  || fail greedy_start "$(cat "$T/greedy.out")"
expect_error COUPON_OVER_AGREED "$OBOL" wallet pay --wallet "$T/erin.wallet" --vendor "$greedy_ADDR" --units 10 \
  && pass greedy_vendor_refused || fail greedy_vendor_refused
wait "$greedy_PID"
[ "$(field tokens "$(cat "$T/greedy.out")")" = 10 ] && [ "$(balance greedy)" = "EUR:0.01" ] \
  && pass greedy_vendor_got_10_tokens || fail greedy_vendor_got_10_tokens "$(cat "$T/greedy.out") $(balance greedy)"
grep -q '^coupon balance: EUR:1.99 in 2 coin' <<<"$("$OBOL" wallet balance --wallet "$T/erin.wallet")" \
  && pass greedy_vendor_wallet_keeps_the_rest || fail greedy_vendor_wallet_keeps_the_rest "$(coins erin)"
audit_ok && pass audit_after_greedy_vendor || fail audit_after_greedy_vendor

# ---- made-up refusals: no coin is written off; the issuer says where they stand
wallet carol "$issuer_URL"
check carol_withdraw "$OBOL" wallet withdraw --wallet "$T/carol.wallet" --denom 1 --count 2
attack forged coupon-forged-refusal --dir "$T/forged" --issuer "$issuer_URL" --listen 127.0.0.1:0 \
  || fail forged_start "$(cat "$T/forged.out")"
"$OBOL" wallet pay --wallet "$T/carol.wallet" --vendor "$forged_ADDR" --units 5 >"$T/carol.out" 2>&1
wait "$forged_PID"
out=$(coins carol)
[ "$(grep -c 'tokens=1000/1000' <<<"$out")" = 2 ] && pass forged_refusals_write_nothing_off \
  || fail forged_refusals_write_nothing_off "$out"
[ "$(grep -c 'in doubt' <<<"$out")" = 2 ] && pass forged_refusals_leave_coins_in_doubt \
  || fail forged_refusals_leave_coins_in_doubt "$out"
out=$("$OBOL" wallet sync --wallet "$T/carol.wallet" 2>&1)
grep -q '^synced: 2 coin' <<<"$out" && ! grep -q 'in doubt' <<<"$(coins carol)" \
  && pass sync_asks_the_issuer || fail sync_asks_the_issuer "$out"
out=$("$OBOL" wallet pay --wallet "$T/carol.wallet" --vendor "$vendor2_ADDR" --units 5 2>&1)
grep -q '^paid: 5 unit(s)' <<<"$out" && pass coins_pay_after_forged_refusals || fail coins_pay_after_forged_refusals "$out"
audit_ok && pass audit_after_forged_refusals || fail audit_after_forged_refusals

# ---- a payer holding the link past T: vendor 1 settles before T on its own
# clock and closes the link; the same tokens are refused at vendor 2
wallet dave "$issuer_URL"
check dave_withdraw "$OBOL" wallet withdraw --wallet "$T/dave.wallet" --denom 1
v1_before=$(balance vendor1)
attack holder coupon-link-holder --wallet "$T/dave.wallet" --vendor "$vendor1_ADDR" --vendor2 "$vendor2_ADDR" --pay 5
wait "$holder_PID"
out=$(cat "$T/holder.out")
[ "$(field link_closed_before_T "$out")" = yes ] && pass link_held_past_T_is_closed || fail link_held_past_T_is_closed "$out"
grep -q '^second_spend: refused' <<<"$out" && pass same_tokens_refused_at_vendor2 || fail same_tokens_refused_at_vendor2 "$out"
v1_after=$(balance vendor1)
[ "$v1_before" = EUR:0.1 ] && [ "$v1_after" = EUR:0.105 ] && pass vendor1_paid_for_what_it_served \
  || fail vendor1_paid_for_what_it_served "$v1_before -> $v1_after"
audit_ok && pass audit_after_link_holder || fail audit_after_link_holder

# ---- the lost withdrawal answer (second half): after the window closed the
# retry, same request id, gets the stored answer and the coin
while [ "$(date +%s)" -le $((T0 + 46)) ]; do sleep 0.5; done
out=$("$OBOL" wallet withdraw --wallet "$T/bob.wallet" --count 0 2>&1)
grep -q '^coin: .* value=EUR:0.5 ' <<<"$out" && pass lost_answer_finished_after_window || fail lost_answer_finished_after_window "$out"
[ "$(balance bob)" = "EUR:4.5" ] && pass debited_once || fail debited_once "$(balance bob)"
audit_ok && pass audit_after_lost_answer || fail audit_after_lost_answer

# ---- the refund: after spend-until, the rest of alice's coin to her account, once
while [ "$(date +%s)" -le $((T0 + 61)) ]; do sleep 0.5; done
out=$("$OBOL" wallet refund --wallet "$T/alice.wallet" 2>&1)
grep -q '^refund: coin .* EUR:0.4 (400 tokens)' <<<"$out" && [ "$(balance alice)" = "EUR:4.9" ] \
  && pass refund_after_spend_until || fail refund_after_spend_until "$out $(balance alice)"
out=$("$OBOL" wallet refund --wallet "$T/alice.wallet" 2>&1)
grep -q '^refunded: 0 coin' <<<"$out" && [ "$(balance alice)" = "EUR:4.9" ] && pass refund_once || fail refund_once "$out"
audit_ok && pass audit_at_end || fail audit_at_end
kill "$proxy_PID" 2>/dev/null
