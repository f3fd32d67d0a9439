#!/usr/bin/env bash
# payword under attack, with real processes (issue 13's cases that span
# processes): a user that rolls its wallet back and spends the same tokens
# at two vendors, one reporting late; a lost certificate regenerated while a
# batch vendor has not yet reported; reports reordered by a man in the
# middle; a stale or missing CRL; certificate download, password guessing
# and registration without the user's key; a purchase while a token
# purchase is pending; an authorisation number used by someone else; fast
# Argon2 in a production build; a vendor that claims tokens it derived.
# After each, the honest party's balance and standing, and the audit.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
PW="correct horse battery"
export OBOL_PAYWORD_PASSWORD=$PW
GRACE=3

"$OBOL" issuer init --db "$DB" --currency EUR --payword-token-value EUR:0.01 --payword-grace $GRACE >/dev/null \
  && pass issuer_init || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
audit() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -q '^audit: OK$'; }
paid() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
wait_paid() { # NAME AMOUNT: waits up to 10 s for the vendor's balance
  local i; for i in $(seq 1 100); do [ "$(paid "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1
}

# Men in the middle on the HTTP paths of shopc and shopd: one holds back
# shopc's first report for 2 s, the other blocks shopd's CRL while
# $T/block-crl exists.
touch "$T/block-crl"
start_attack holder payword-issuer-mitm --upstream "$issuer_ADDR" --listen 127.0.0.1:0 --hold-first-report 2 \
  && start_attack blocker payword-issuer-mitm --upstream "$issuer_ADDR" --listen 127.0.0.1:0 --block-crl "$T/block-crl" \
  || { fail mitm_start; exit 1; }

vendor() { # NAME REPORT ISSUER_URL [SETUP ARGS...]
  local name=$1 report=$2 url=$3 out; shift 3
  out=$("$OBOL" vendor init --dir "$T/$name" --issuer "$issuer_URL")
  "$OBOL" issuer vendor add --db "$DB" --name "$name" --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$T/$name/vendor.cert" >/dev/null
  "$OBOL" vendor payword setup --dir "$T/$name" --mode generic --report "$report" --crl-interval 1 "$@" >/dev/null
  printf 'The news of the day at %s.\n' "$name" >"$T/article.txt"
  "$OBOL" vendor payword product --dir "$T/$name" --id article-1 --price EUR:0.02 --file "$T/article.txt" >/dev/null
  start "$name" vendor serve --dir "$T/$name" --issuer "$url" --listen 127.0.0.1:0 --http 127.0.0.1:0
}
vendor shopa almost-online "$issuer_URL" && vendor shopb batch "$issuer_URL" --interval 2 \
  && vendor shopc almost-online "$holder_URL" && vendor shopd almost-online "$blocker_URL" --crl-max-age 2 \
  && pass vendors_start || { fail vendors_start; exit 1; }

user() { # NAME: a wallet, the operator's account for its key, payword registration, EUR:1
  local out
  out=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "$issuer_URL" --account "$1")
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$(field account-key "$out")" >/dev/null
  "$OBOL" issuer fund --db "$DB" --account "$1" --amount EUR:1 >/dev/null
  "$OBOL" wallet payword register --wallet "$T/$1.wallet" --username "$1" >/dev/null
}
user alice && user carol && user dave && user erin && user frank && pass users_registered \
  || fail users_registered
buy() { "$OBOL" wallet payword buy --wallet "$T/$1.wallet" --vendor "$2" --product article-1 "${@:3}"; }
unspent() { "$OBOL" wallet payword show --wallet "$T/$1.wallet" | sed -n 's/^unspent: \([0-9]*\) tokens.*/\1/p' | head -n 1; }

# --- case 1: a user re-spends, and a vendor's report is late --------------
# erin pays 1..2 at shopb (batch: its report leaves at the next tick), rolls
# her wallet back and pays the same 1..2 at shopa (reported at once). Two
# ranges she signed share 1..2: she is the culprit, whatever arrives first;
# both vendors accepted in good faith and are paid; her account pays the
# tokens spent twice. Neither vendor is blamed.
A0=$(paid shopa); B0=$(paid shopb)
check erin_buys_tokens "$OBOL" wallet payword buy-tokens --wallet "$T/erin.wallet" --tokens 10
cp "$T/erin.wallet" "$T/erin-copy.wallet"
check erin_pays_at_b buy erin "$shopb_ADDR"
cp "$T/erin-copy.wallet" "$T/erin.wallet"
check erin_pays_the_same_tokens_at_a buy erin "$shopa_ADDR"
plus() { awk -v a="${1#EUR:}" -v b="$2" 'BEGIN { printf "EUR:%g", a + b }'; }
wait_paid shopa "$(plus "$A0" 0.02)" && wait_paid shopb "$(plus "$B0" 0.02)" && pass both_vendors_paid \
  || fail both_vendors_paid "shopa $(paid shopa), shopb $(paid shopb)"
expect_error PAYWORD_USER_REVOKED "$OBOL" wallet payword buy-tokens --wallet "$T/erin.wallet" --tokens 1 \
  && pass double_spender_revoked || fail double_spender_revoked
"$OBOL" issuer payword evidence --db "$DB" | grep -q "user-double-spend by user $("$OBOL" issuer account show \
  --db "$DB" --account erin | sed -n 's/^id: //p')" && pass evidence_names_the_user || fail evidence_names_the_user
"$OBOL" issuer account show --db "$DB" --account shopa | grep -q '^status: active' \
  && "$OBOL" issuer account show --db "$DB" --account shopb | grep -q '^status: active' && pass vendor_not_blamed \
  || fail vendor_not_blamed
# the 2 tokens paid twice came out of her own chain (8 unspent by her
# wallet, 6 left at the agent), not out of anyone else's value
[ "$(field balance "$("$OBOL" issuer account show --db "$DB" --account erin)")" = EUR:0.9 ] \
  && pass double_spend_paid_from_her_value || fail double_spend_paid_from_her_value
audit && pass audit_after_double_spend || fail audit_after_double_spend

# --- case 3: regenerate --lost while a batch vendor has not reported ------
# carol buys 20 tokens, spends 2 at shopb (batch: reported at its next 2 s
# tick) and at once says she lost her certificate. The agent must not carry
# those 2 tokens into her new chain: they wait the grace for shopb's report.
check carol_buys_tokens "$OBOL" wallet payword buy-tokens --wallet "$T/carol.wallet" --tokens 20
B0=$(paid shopb)
check carol_spends_at_batch_vendor buy carol "$shopb_ADDR"
out=$("$OBOL" wallet payword regenerate --wallet "$T/carol.wallet" --lost 2>&1)
echo "$out"
wait_paid shopb "$(plus "$B0" 0.02)" && pass batch_report_paid || fail batch_report_paid "$(paid shopb)"
sleep $((GRACE + 1))
"$OBOL" wallet payword regenerate --wallet "$T/carol.wallet" >/dev/null 2>&1
[ "$(unspent carol)" = 18 ] && pass lost_regeneration_creates_no_money \
  || fail lost_regeneration_creates_no_money "carol holds $(unspent carol) tokens after spending 2 of 20"
audit && pass audit_after_lost_regeneration || fail audit_after_lost_regeneration

# --- case 4: a report reaches the agent before the one it follows ---------
check alice_buys_tokens "$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 40
check alice_first_at_c buy alice "$shopc_ADDR"
check alice_second_at_c buy alice "$shopc_ADDR"
wait_paid shopc EUR:0.04 \
  && pass reordered_reports_both_paid || fail reordered_reports_both_paid "shopc holds $(paid shopc), owed EUR:0.04"
grep -q '503 (held)' "$T/holder.log" && pass report_was_held_back || fail report_was_held_back

# --- case 6: no CRL, or a stale one ---------------------------------------
U0=$(unspent alice)
expect_error PAYWORD_CRL_STALE buy alice "$shopd_ADDR" && pass no_sale_before_the_first_crl \
  || fail no_sale_before_the_first_crl
[ "$(unspent alice)" = "$U0" ] && pass refused_before_any_token_was_signed \
  || fail refused_before_any_token_was_signed "$U0 tokens before, $(unspent alice) after"
grep -q 'error: payword: CRL' "$T/shopd.log" && pass failing_crl_logged_as_error || fail failing_crl_logged_as_error
rm -f "$T/block-crl"; sleep 1.5
check sale_with_a_fresh_crl buy alice "$shopd_ADDR"
cp "$T/alice.wallet" "$T/alice-old.wallet"
touch "$T/block-crl"
check alice_regenerates "$OBOL" wallet payword regenerate --wallet "$T/alice.wallet"
sleep 3
expect_error PAYWORD_CRL_STALE "$OBOL" wallet payword buy --wallet "$T/alice-old.wallet" --vendor "$shopd_ADDR" \
  --product article-1 && pass stale_crl_refuses_superseded_certificate || fail stale_crl_refuses_superseded_certificate
rm -f "$T/block-crl"

# --- case 7: the chain seed, password guesses, fast Argon2 ----------------
SERIAL=$("$OBOL" wallet payword show --wallet "$T/alice.wallet" | sed -n 's/^certificate \([0-9]*\) .*/\1/p' | head -n 1)
http_expect 401 AUTH_FAILED -X POST "$issuer_URL/payword/cert" -H 'Content-Type: application/json' \
  -d "{\"username\":\"alice\",\"password\":\"$PW\",\"serial\":$SERIAL}" \
  && pass seed_needs_the_users_signature || fail seed_needs_the_users_signature
# dave's key signs, but the passwords are guesses: after 5 the agent stops
# checking them for a minute, the right one included.
for i in 1 2 3 4 5; do
  OBOL_PAYWORD_PASSWORD=wrong-password expect_error PAYWORD_BAD_PASSWORD "$OBOL" wallet payword buy-tokens \
    --wallet "$T/dave.wallet" --tokens 1 >/dev/null || fail "password_guess_$i"
done
expect_error PAYWORD_RATE_LIMITED "$OBOL" wallet payword buy-tokens --wallet "$T/dave.wallet" --tokens 1 \
  && pass password_guesses_limited || fail password_guesses_limited
expect_error ARGON2_FAST_REFUSED env OBOL_ARGON2_FAST=1 "$OBOL_BUILD/obol" wallet init --wallet "$T/x.wallet" \
  --issuer "$issuer_URL" && pass production_build_refuses_fast_argon2 || fail production_build_refuses_fast_argon2

# --- case 8: registration needs an account the operator opened ------------
http_expect 401 AUTH_FAILED -X POST "$issuer_URL/payword/register" -H 'Content-Type: application/json' \
  -d '{"username":"mallory","password":"mallory password","user_pk":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}' \
  && pass open_registration_refused || fail open_registration_refused
"$OBOL" issuer account show --db "$DB" --account mallory >/dev/null 2>&1 \
  && fail no_account_for_mallory || pass no_account_for_mallory

# --- case 9: no spending of the old chain while new tokens are pending ----
kill9 issuer
"$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 5 >/dev/null 2>&1
expect_error PAYWORD_BUY_PENDING buy alice "$shopa_ADDR" && pass no_spending_while_a_purchase_is_pending \
  || fail no_spending_while_a_purchase_is_pending
restart issuer
check pending_purchase_resumed "$OBOL" wallet payword buy-tokens --wallet "$T/alice.wallet" --tokens 5
check alice_buys_after_the_purchase buy alice "$shopa_ADDR"

# --- case 10: the authorisation number ------------------------------------
out=$(buy alice "$shopa_ADDR" --http http://127.0.0.1:9 2>&1)
AUTH=$("$OBOL" wallet payword show --wallet "$T/alice.wallet" 2>/dev/null | sed -n 's/^purchase .* auth \([0-9]*\).*/\1/p' | tail -n 1)
[ -n "$AUTH" ] || AUTH=$(field authorisation "$out")
http_expect 403 PAYWORD_AUTH_INVALID "http://$shopa_ADDR2/payword/product/article-1?auth=$AUTH" \
  && pass authorisation_bound_to_the_buyer || fail authorisation_bound_to_the_buyer
check product_fetched_later "$OBOL" wallet payword fetch --wallet "$T/alice.wallet" --http "http://$shopa_ADDR2" \
  --product article-1 --out "$T/later.txt"
grep -q "news of the day at shopa" "$T/later.txt" 2>/dev/null && pass fetched_product_is_right \
  || fail fetched_product_is_right

# --- case 2: a vendor claims tokens the user never paid it ---------------
# frank pays 1..2 at shopb and 3..4 at shopa; shopa derives token 2 from
# token 4 and claims it, stretching its range, or moving its signature. It
# holds no range of frank's over 2: it is the culprit, proven by its own
# signed request; frank stays in good standing and shopb keeps its pay.
B0=$(paid shopb)
check frank_buys_tokens "$OBOL" wallet payword buy-tokens --wallet "$T/frank.wallet" --tokens 10
check frank_pays_at_b buy frank "$shopb_ADDR"
check frank_pays_at_a buy frank "$shopa_ADDR"
wait_paid shopb "$(plus "$B0" 0.02)"
SERIAL=$("$OBOL" wallet payword show --wallet "$T/frank.wallet" | sed -n 's/^certificate \([0-9]*\) .*/\1/p' | head -n 1)
out=$("$ATTACK" payword-fabricating-vendor --dir "$T/shopa" --issuer "$issuer_URL" --serial "$SERIAL" --order 2 \
  --how move --token-value EUR:0.01)
printf '%s\n' "$out" | grep -q '"verdict":"vendor-fabrication"' && pass derived_token_refused \
  || fail derived_token_refused "$out"
out=$("$ATTACK" payword-fabricating-vendor --dir "$T/shopa" --issuer "$issuer_URL" --serial "$SERIAL" --order 1 \
  --how stretch --token-value EUR:0.01)
printf '%s\n' "$out" | grep -q 'LEDGER_ACCOUNT_CLOSED' && pass fabricator_suspended || fail fabricator_suspended "$out"
check honest_user_not_revoked "$OBOL" wallet payword buy-tokens --wallet "$T/frank.wallet" --tokens 1
[ "$(paid shopb)" = "$(plus "$B0" 0.02)" ] && pass other_vendor_keeps_its_pay || fail other_vendor_keeps_its_pay
"$OBOL" issuer payword evidence --db "$DB" | grep -q "vendor-fabrication by vendor" && pass fabrication_evidence \
  || fail fabrication_evidence

audit && pass audit_at_end || fail audit_at_end
