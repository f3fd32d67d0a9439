#!/usr/bin/env bash
# Issue 14 case 3, end to end: what a Codex can pay offline is bounded by the
# limits the bank signed into its state. A payer forging a token of any amount
# with its own key (tests/attack/codex_token.c, codex-forge-amount) is refused
# by a wallet and by a vendor; a copied Codex cannot make the same payee take
# the same epoch's money twice; the bank pays nothing from outside.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

codex_bank || { fail codex_limits_issuer; exit 1; }
for u in alice bob; do member $u && open_codex $u EUR:10 EUR:8; done
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:1

# A forged EUR 1,000,000 token, signed with Alice's own key.
request bob
"$ATTACK" codex-forge-amount --wallet "$(W alice)" --request "$T/req" --amount EUR:1000000 --out "$T/pay" >/dev/null
expect_error CODEX_OVER_LIMIT "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ans" \
  && pass codex_limits_forged_amount_refused_by_wallet || fail codex_limits_forged_amount_refused_by_wallet
[ "$(balance bob)" = "EUR:10" ] && pass codex_limits_wallet_unchanged || fail codex_limits_wallet_unchanged "$(balance bob)"
out=$("$ATTACK" codex-forge-amount --wallet "$(W alice)" --vendor "$shop_ADDR" --amount EUR:1000000 2>&1)
[ "$(field answer "$out")" = "refused CODEX_OVER_LIMIT" ] && pass codex_limits_forged_amount_refused_by_vendor \
  || fail codex_limits_forged_amount_refused_by_vendor "$out"
# A running total that does not cover its own amount.
request bob
"$ATTACK" codex-forge-amount --wallet "$(W alice)" --request "$T/req" --amount EUR:2 --spent EUR:1 --out "$T/pay" >/dev/null
expect_error CODEX_OVER_LIMIT "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ans" \
  && pass codex_limits_running_total_checked || fail codex_limits_running_total_checked
# The honest Codex itself stops at its epoch's limit (the safe deposit).
request bob
expect_error CODEX_OVER_LIMIT "$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:8.01 --out "$T/pay" \
  && pass codex_limits_payer_stops_at_its_limit || fail codex_limits_payer_stops_at_its_limit

# A copied Codex pays the vendor, is put back, and pays the vendor again.
cp "$(W alice)" "$T/alice.copy"
out=$("$OBOL" wallet codex pay --wallet "$(W alice)" --vendor "$shop_ADDR" 2>&1)
[ "$(field acknowledged "$out")" = yes ] && pass codex_limits_vendor_paid_once || fail codex_limits_vendor_paid_once "$out"
cp "$T/alice.copy" "$(W alice)"
expect_error CODEX_PLACE_REUSED "$OBOL" wallet codex pay --wallet "$(W alice)" --vendor "$shop_ADDR" \
  && pass codex_limits_copy_refused_by_vendor || fail codex_limits_copy_refused_by_vendor
# ... and the same with Bob's wallet.
cp "$(W alice)" "$T/alice.copy"
request bob
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:3 --out "$T/pay" >/dev/null
"$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ans" >/dev/null
cp "$T/alice.copy" "$(W alice)"
request bob
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:3 --out "$T/pay" >/dev/null
expect_error CODEX_PLACE_REUSED "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ans" \
  && pass codex_limits_copy_refused_by_wallet || fail codex_limits_copy_refused_by_wallet
[ "$(balance bob)" = "EUR:13" ] && pass codex_limits_payee_took_one || fail codex_limits_payee_took_one "$(balance bob)"

# The bank: the vendor holds its one honest payment; nothing from outside.
for i in $(seq 1 40); do [ "$(account shop)" = "EUR:1" ] && break; sleep 0.25; done
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
[ "$(account shop)" = "EUR:1" ] && pass codex_limits_vendor_paid_honest_only || fail codex_limits_vendor_paid_honest_only "$(account shop)"
out=$("$OBOL" issuer codex check --db "$DB")
[ "$(field 'paid from outside' "$out")" = "EUR:0" ] && [ "$(field consistency "$out")" = OK ] \
  && pass codex_limits_no_loss || fail codex_limits_no_loss "$out"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_limits_audit || fail codex_limits_audit "$out"
