#!/usr/bin/env bash
# The payer's protections on a codex payment at a vendor daemon, with real
# processes and a vendor cheating its payer in front of its own daemon
# (tests/attack/payer_vendor.c): a cap honoured, a higher amount asked
# refused before the token is made, a missing or forged receipt named and
# kept in the history; the payer's Codex keeps its value; the audit holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/payer_lib.bash"

DB=sqlite:$T/bank.db
W=$T/alice.wallet
balance() { field balance "$("$OBOL" wallet codex show --wallet "$W")"; }
last_line() { "$OBOL" wallet history --wallet "$W" | tail -n 1; }
"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
user alice "$W" EUR:20
"$OBOL" wallet codex open --wallet "$W" --amount EUR:10 --deposit EUR:5 >/dev/null
certify "$T/shop" shop
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.25 \
  || { fail vendor_serve; exit 1; }
CHEAT_VENDOR=$shop_ADDR CHEAT_DIR=$T/shop

out=$("$OBOL" wallet codex pay --wallet "$W" --vendor "$shop_ADDR" --max-amount EUR:0.5 2>&1)
grep -q '^acknowledged: yes' <<<"$out" && pass codex_pays_within_the_cap || fail codex_pays_within_the_cap "$out"
grep -q 'payment *codex *paid *EUR:0.25 .* at shop (vendor [0-9]*); receipt: verified$' <<<"$(last_line)" \
  && pass codex_receipt_verified || fail codex_receipt_verified "$(last_line)"
[ "$(balance)" = "EUR:9.75" ] && pass codex_balance_after_payment || fail codex_balance_after_payment "$(balance)"

cheat --mode overprice --price EUR:3
expect_error PAY_AMOUNT_OVER_CAP "$OBOL" wallet codex pay --wallet "$W" --vendor "$cheat_ADDR" --max-amount EUR:1 \
  && pass codex_higher_amount_refused || fail codex_higher_amount_refused
[ "$(cheat_said deviated)" = yes ] && [ "$(balance)" = "EUR:9.75" ] && pass codex_higher_amount_nothing_paid \
  || fail codex_higher_amount_nothing_paid "$(balance) $(cat "$T/cheat.log")"
grep -q 'refused .*; PAY_AMOUNT_OVER_CAP$' <<<"$(last_line)" && pass codex_refusal_in_history \
  || fail codex_refusal_in_history "$(last_line)"

for m in drop-receipt:RECEIPT_MISSING:missing forge-receipt:RECEIPT_INVALID:invalid; do
  mode=${m%%:*}; rest=${m#*:}; err=${rest%%:*}; state=${rest#*:}
  cheat --mode "$mode"
  out=$("$OBOL" wallet codex pay --wallet "$W" --vendor "$cheat_ADDR" 2>&1) \
    && grep -q "^receipt: $err: the payment was made" <<<"$out" && pass "codex_${mode}_named" \
    || fail "codex_${mode}_named" "$out"
  [ "$(cheat_said deviated)" = yes ] && grep -q " paid .*receipt: NONE VALID ($state); $err\$" <<<"$(last_line)" \
    && pass "codex_${mode}_in_history" || fail "codex_${mode}_in_history" "$(last_line)"
done
audit_ok && pass codex_audit_at_end || fail codex_audit_at_end
