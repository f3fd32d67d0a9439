#!/usr/bin/env bash
# Three years in a few minutes (issue 17): one issuer, a vendor daemon taking
# all four schemes, and a payer wallet using all four (coupon, ecash,
# payword, codex) plus an ecash payee wallet, on the test clock
# (OBOL_TEST_CLOCK) moved in steps of 90 days across three years. At each
# step: the key ceremony runs when `issuer keys export-requests` has
# requests (`offline sign --master-key`, `issuer keys import`), the parties
# pay and receive, sync and renew by themselves (the vendor's certificate,
# the ecash key, the payword certificate, the Codex certificate), and coins
# held past their windows are refunded. Value is counted in cents by the
# test: at the end every honest party's account plus what its wallet holds
# plus what it paid is what it was funded, the vendor holds every payment it
# took, and `obol audit` is OK.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/lib/parties.bash"

CLK=$T/clock
DAY=86400
set_clock() { echo "$1" >"$CLK.new" && mv "$CLK.new" "$CLK"; }
set_clock 0
export OBOL_TEST_CLOCK=$CLK
export OBOL_PAYWORD_PASSWORD="three years"
DB=sqlite:$T/issuer.db
A=$T/alice.wallet
B=$T/bob.wallet
STARTED=$(date +%s)

# Amounts as whole cents (EUR:1.23 -> 123), for the test's own sums.
cents() { awk -v a="${1#*:}" 'BEGIN { split(a, p, "."); f = substr(p[2] "00", 1, 2); printf "%d\n", p[1] * 100 + f }'; }
acct() { cents "$(field balance "$("$OBOL" issuer account show --db "$DB" --account "$1")")"; }
held_coupon() { cents "$("$OBOL" wallet balance --wallet "$1" | sed -n 's/^coupon balance: \([^ ]*\).*/\1/p')"; }
held_ecash() { cents "$(field ecash-balance "$("$OBOL" wallet ecash coins --wallet "$1")")"; }
held_payword() {
  "$OBOL" wallet payword show --wallet "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
certs = d if isinstance(d, list) else d.get("certificates", [d])
t = 0
for c in certs:
    v = c.get("unspent", "EUR:0")
    a = v.split(":")[1] if ":" in v else "0"
    w, _, f = a.partition(".")
    t += int(w) * 100 + int((f + "00")[:2])
print(t)'
}
held_codex() {
  "$OBOL" wallet codex show --wallet "$1" --json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    print(0); sys.exit()
t = 0
for k in ("balance", "deposit"):
    a = str(d.get(k, "EUR:0")).split(":")[-1]
    w, _, f = a.partition(".")
    t += int(w) * 100 + int((f + "00")[:2])
print(t)'
}

PAID_A=0      # cents alice paid the shop (receipts)
PAID_A_BOB=0  # cents alice paid bob (ecash, offline)
CEREMONIES=0
# The lookahead (250 days) exceeds the 120 days between two ceremonies by
# more than the time a vendor takes to fetch GET /keys again (docs/operations.md,
# "Choosing the windows"): the key in use at a step was announced two
# ceremonies before, so a daemon that fetched the key document just before
# this step's ceremony still knows it.
ceremony() {
  local out n
  out=$("$OBOL" issuer keys export-requests --db "$DB" --out "$T/req.json" --lookahead-days 250 2>&1) || { fail "ceremony_export_$1" "$out"; return; }
  n=$(field new-requests "$out")
  [ "${n:-0}" -gt 0 ] || return 0
  "$OBOL" offline sign --master-key "$T/master.key" --in "$T/req.json" --out "$T/sig.json" >/dev/null 2>&1 \
    && "$OBOL" issuer keys import --db "$DB" --in "$T/sig.json" >/dev/null 2>&1 \
    && CEREMONIES=$((CEREMONIES + 1)) || fail "ceremony_$1"
}

# ---- day 0 ----
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,100 --coupon-denom EUR:1,100,1100,1200 \
  --payword-token-value EUR:0.01 --master-key "$T/master.key" --no-ceremony >/dev/null \
  || { fail keys_years_setup "issuer init"; exit 1; }
ceremony day0
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail keys_years_setup "issuer serve"; exit 1; }
certify "$T/shop" shop || fail keys_years_setup certify
"$OBOL" vendor payword setup --dir "$T/shop" --mode generic --report almost-online --interval 1 \
  --crl-interval 1 >/dev/null
printf 'The news of the day.\n' >"$T/news.txt"
"$OBOL" vendor payword product --dir "$T/shop" --id news --price EUR:0.02 --file "$T/news.txt" >/dev/null
export OBOL_LOG=info
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.01 \
  --renew-margin-days 30 --renew-check-seconds 1 || { fail keys_years_setup "vendor serve"; exit 1; }
FUND_A=10000
user alice "$A" EUR:100 || fail keys_years_setup alice
FUND_B=100
user bob "$B" EUR:1 || fail keys_years_setup bob
"$OBOL" wallet withdraw --wallet "$B" >/dev/null || fail keys_years_setup bob_coupon
"$OBOL" wallet ecash register --wallet "$A" >/dev/null || fail keys_years_setup alice_ecash
"$OBOL" wallet ecash register --wallet "$B" >/dev/null || fail keys_years_setup bob_ecash
"$OBOL" wallet payword register --wallet "$A" --username alice >/dev/null || fail keys_years_setup payword
"$OBOL" wallet codex open --wallet "$A" --amount EUR:2 --deposit EUR:1 >/dev/null || fail keys_years_setup codex

# One step of the world at day $1; codex is skipped when $2 is "no-codex"
# (the wallet is away from the bank past its Codex certificate's end).
step() {
  local d=$1 out
  set_clock $((d * DAY))
  ceremony "day$d"
  # coupon: coins past their spend-until are refunded; a coin withdrawn and
  # spent whole (100 tokens of EUR:0.01)
  # (bob's coin, withdrawn on day 0 and kept, at the first step past day 730)
  "$OBOL" wallet refund --wallet "$A" >/dev/null 2>&1
  out=$("$OBOL" wallet refund --wallet "$B" 2>&1) && grep -q '^refund: coin' <<<"$out" && COUPON_REFUNDS=$((COUPON_REFUNDS + 1))
  if out=$("$OBOL" wallet withdraw --wallet "$A" 2>&1); then
    out=$("$OBOL" wallet pay --wallet "$A" --vendor "$shop_ADDR" --units 100 2>&1) \
      && grep -q '^receipt: 100 unit(s)' <<<"$out" && PAID_A=$((PAID_A + 100)) \
      || fail "coupon_pay_day$d" "$out"
  else
    fail "coupon_withdraw_day$d" "$out"
  fi
  local held_before
  held_before=$(held_ecash "$A")
  # ecash: online first (renews the key when due, returns the coins left
  # past their 180 days: a coin of each top-up is left over), then offline
  # payments to the shop and to bob, who goes online (renewing his key when
  # due) before he receives, and deposits every other step
  out=$("$OBOL" wallet ecash redeem-expired --wallet "$A" 2>&1)
  [ "$(held_ecash "$A")" -lt "$held_before" ] && ECASH_REDEEMED=$((ECASH_REDEEMED + 1))
  "$OBOL" wallet ecash topup --wallet "$A" --amount EUR:0.03 --coin EUR:0.01 >/dev/null 2>&1 \
    || fail "ecash_topup_day$d"
  out=$("$OBOL" wallet ecash pay --wallet "$A" --vendor "$shop_ADDR" 2>&1) && PAID_A=$((PAID_A + 1)) \
    || fail "ecash_pay_shop_day$d" "$out"
  "$OBOL" wallet ecash refresh --wallet "$B" >/dev/null 2>&1 || fail "ecash_bob_refresh_day$d"
  start bobr wallet ecash receive --wallet "$B" --listen 127.0.0.1:0 --price EUR:0.01 --count 1 \
    || fail "ecash_bob_listens_day$d"
  out=$("$OBOL" wallet ecash pay --wallet "$A" --vendor "$bobr_ADDR" 2>&1) && PAID_A_BOB=$((PAID_A_BOB + 1)) \
    || fail "ecash_pay_bob_day$d" "$out"
  stop bobr
  if [ $(((d / 120) % 2)) = 1 ]; then
    "$OBOL" wallet ecash deposit --wallet "$B" >/dev/null 2>&1 || fail "ecash_bob_deposit_day$d"
  fi
  # payword: tokens bought when low; a purchase regenerates a certificate
  # near its end by itself
  if [ "$(held_payword "$A")" -lt 2 ]; then
    "$OBOL" wallet payword buy-tokens --wallet "$A" --tokens 10 >/dev/null 2>&1 || fail "payword_buy_tokens_day$d"
  fi
  out=$("$OBOL" wallet payword buy --wallet "$A" --vendor "$shop_ADDR" --product news 2>&1) \
    && [ -n "$(field authorisation "$out")" ] && PAID_A=$((PAID_A + 2)) || fail "payword_buy_day$d" "$out"
  grep -q '^certificate: regenerated' <<<"$out" && PAYWORD_RENEWED=$((PAYWORD_RENEWED + 1))
  # codex: a sync (renews the state, and the certificate near or past its
  # end), a payment
  [ "${2:-}" = no-codex ] && return 0
  "$OBOL" wallet codex sync --wallet "$A" >/dev/null 2>&1 || fail "codex_sync_day$d"
  out=$("$OBOL" wallet codex pay --wallet "$A" --vendor "$shop_ADDR" 2>&1) \
    && grep -q '^acknowledged: yes' <<<"$out" && PAID_A=$((PAID_A + 1)) || fail "codex_pay_day$d" "$out"
}

PAYWORD_RENEWED=0 COUPON_REFUNDS=0 ECASH_REDEEMED=0
for d in 0 120 240 360 480 600 720 840 960 1080; do
  case $d in 480|600|720) step $d no-codex ;; *) step $d ;; esac
done
pass steps_ran

# The ecash bank key rotated on its windows: a successor drawn within the
# lookahead (day 360) and announced at the ceremony, which issuer serve, the
# vendor daemon and the wallets took on without a restart (top-ups from day
# 480 on are under it).
n=$(sqlite3 "$T/issuer.db" "SELECT COUNT(*) FROM ecash_bank_key")
[ "${n:-0}" -ge 2 ] && pass ecash_bank_key_rotated || fail ecash_bank_key_rotated "$n bank keys"

# The vendor renewed its certificate each year, by itself.
# Coins held past their windows came back: coupon coins past spend-until
# (the first denomination's, day 730), ecash coins past their 180 days.
[ "$COUPON_REFUNDS" -ge 1 ] && pass coupon_refunded_past_spend_until || fail coupon_refunded_past_spend_until
[ "$ECASH_REDEEMED" -ge 1 ] && pass ecash_redeemed_past_expiry || fail ecash_redeemed_past_expiry
for i in $(seq 1 40); do [ "$(grep -c "certificate renewed: valid until" "$T/shop.log")" -ge 3 ] && break; sleep 0.25; done
n=$(grep -c "certificate renewed: valid until" "$T/shop.log")
[ "$n" -ge 3 ] && pass vendor_renewed_yearly || fail vendor_renewed_yearly "$n renewals"

# ---- the end: day 1095, everything handed back ----
set_clock $((1095 * DAY))
ceremony day1095
"$OBOL" wallet refund --wallet "$A" >/dev/null 2>&1
"$OBOL" wallet refund --wallet "$B" >/dev/null 2>&1
"$OBOL" wallet ecash redeem-expired --wallet "$A" >/dev/null 2>&1
"$OBOL" wallet ecash withdraw --wallet "$A" >/dev/null 2>&1
"$OBOL" wallet ecash redeem-expired --wallet "$B" >/dev/null 2>&1
"$OBOL" wallet ecash deposit --wallet "$B" >/dev/null 2>&1 || fail ecash_bob_final_deposit
"$OBOL" wallet codex close --wallet "$A" >/dev/null 2>&1 || fail codex_close
# the closed Codex's safe deposit comes back once its tokens are stale
set_clock $((1140 * DAY))
"$OBOL" wallet codex release --wallet "$A" >/dev/null 2>&1 || fail codex_release
# the vendor's outbox delivers what it took
for i in $(seq 1 120); do [ "$(acct shop)" = "$PAID_A" ] && break; sleep 0.25; done

SHOP=$(acct shop)
[ "$SHOP" = "$PAID_A" ] && pass vendor_holds_every_payment || fail vendor_holds_every_payment "shop $SHOP cents, paid $PAID_A"
BOB=$(($(acct bob) + $(held_ecash "$B") + $(held_coupon "$B")))
[ "$BOB" = "$((FUND_B + PAID_A_BOB))" ] && pass payee_holds_every_payment \
  || fail payee_holds_every_payment "bob $BOB cents, funded $FUND_B, paid $PAID_A_BOB"
ALICE_ACCT=$(acct alice)
ALICE_HELD=$(($(held_coupon "$A") + $(held_ecash "$A") + $(held_payword "$A") + $(held_codex "$A")))
ALICE=$((ALICE_ACCT + ALICE_HELD + PAID_A + PAID_A_BOB))
[ "$ALICE" = "$FUND_A" ] && pass payer_value_intact \
  || fail payer_value_intact "account $ALICE_ACCT + held $ALICE_HELD + paid $PAID_A + $PAID_A_BOB = $ALICE, funded $FUND_A"
# coins issued under the first bank key (which signs for a year from its
# drawing) were spent and deposited, or redeemed, after its successor took
# over: their value survived the rotation
rot=$(sqlite3 "$T/issuer.db" "SELECT created + $((365 * DAY)) FROM ecash_bank_key WHERE id = 1")
n=$(sqlite3 "$T/issuer.db" "SELECT COUNT(*) FROM ecash_coins WHERE issued < ${rot:-0} AND deposited >= ${rot:-0}")
[ "${n:-0}" -ge 1 ] && pass ecash_old_bank_key_coins_after_rotation \
  || fail ecash_old_bank_key_coins_after_rotation "$n coins"
out=$("$OBOL" audit --db "$DB")
printf '%s' "$out" | grep -q "^audit: OK" && pass audit_ok || fail audit_ok "$out"
echo "ran in $(($(date +%s) - STARTED)) s; $CEREMONIES key ceremonies; $PAYWORD_RENEWED payword regenerations before a purchase"
