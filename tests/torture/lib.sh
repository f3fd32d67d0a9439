# The world of the torture and soak runs (tests/torture/run.sh,
# tests/soak/run.sh): real daemons started through tests/e2e/lib.sh, a mixed
# load of the four schemes and the platform driven through the obol command
# (so that it goes on testing whatever the schemes do inside), and the
# record of what the load was told succeeded.
#
# Source after tests/e2e/lib.sh. Then:
#   torture_world sqlite|postgres   an issuer database, the issuer daemon(s),
#                         one vendor (every scheme, payword products on
#                         --http) and funded wallets; sets TW_DAEMONS (the
#                         names of the daemons, for the killer)
#   torture_load_start    the load workers, in the background
#   torture_load_stop     stops them and waits
#   torture_verify WHEN   the checks that hold after every restart; prints
#                         "verify WHEN: ..." and returns 1 on a failure
#   torture_final         after the load: the vendor's outbox drained, then
#                         the checks that need it; returns 1 on a failure
#
# Daemons are a list: each name in TW_DAEMONS has tw_kill_NAME and
# tw_restart_NAME (tw_kill_default / tw_restart_default serve the obol
# daemons started with `start`). A new daemon (the signer of issue 17) is
# one more name and, when SIGKILL and `restart` fit it, nothing else.
#
# What the load records, one line each, in $T/acks (a command that exited 0)
# and $T/tries (every command sent, whatever came back):
#   payout WALLET RID AMOUNT         the wallet's account paid AMOUNT out, request RID
#   debit WALLET AMOUNT WHAT         the wallet's account was debited (withdraw, topup, ...)
#   paid VENDOR AMOUNT WHAT          the vendor is owed AMOUNT (a payment it acknowledged)
# Amounts are in units of 10^-8 (EUR:0.01 = 1000000), so that bash adds them.

TW_PRICE=EUR:0.001            # the vendor's price per unit of service
TW_UNIT=100000                # ... in 10^-8
TW_COUPON_DENOM=EUR:1,1000    # a coupon coin: EUR:1 in 1000 tokens of EUR:0.001
TW_COIN=100000000             # EUR:1
TW_TOKEN_VALUE=EUR:0.01       # a payword token
TW_PRODUCT_PRICE=EUR:0.02     # the payword product
TW_PRODUCT=2000000
TW_FUND=EUR:100000            # each user's account at the start
TW_FUND_UNITS=10000000000000
TW_OP_TIMEOUT=${TW_OP_TIMEOUT:-30}

export OBOL_PAYWORD_PASSWORD=${OBOL_PAYWORD_PASSWORD:-torture payword password}

tw_log() { echo "torture: $*"; }

# The database of the run and the SQL shell that reads it.
tw_sql() {
  if [ "$TW_BACKEND" = sqlite ]; then
    sqlite3 -batch -noheader "$T/issuer.db" "$1"
  else
    psql -X -q -t -A -d "$TW_PG_URL" -c "$1"
  fi
}

tw_vendor_sql() { sqlite3 -batch -noheader "$T/shop/vendor.db" "$1"; }

# ---- the daemons ----------------------------------------------------------

tw_kill_default() { kill9 "$1"; }
tw_restart_default() { restart "$1"; }

tw_kill_postgres() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
}
tw_restart_postgres() { pg_resume; }

# kill NAME / restart NAME through the daemon's own functions, if any.
tw_kill() { if declare -F "tw_kill_$1" >/dev/null; then "tw_kill_$1" "$1"; else tw_kill_default "$1"; fi; }
tw_restart() { if declare -F "tw_restart_$1" >/dev/null; then "tw_restart_$1" "$1"; else tw_restart_default "$1"; fi; }

# ---- the world ------------------------------------------------------------

tw_user() { # NAME ISSUER_URL: a wallet and its funded account
  local key
  key=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "$2" --account "$1" | sed -n 's/^account-key: //p') \
    || return 1
  "$OBOL" issuer account add --db "$TW_DB" --kind user --name "$1" --auth-key "$key" >/dev/null || return 1
  "$OBOL" issuer fund --db "$TW_DB" --account "$1" --amount "$TW_FUND" >/dev/null
}

torture_world() {
  TW_BACKEND=$1
  if [ "$TW_BACKEND" = sqlite ]; then
    TW_DB=sqlite:$T/issuer.db
  else
    TW_PG_URL=${OBOL_TEST_PG_URL%%\?*}
    TW_PG_URL="${TW_PG_URL%/*}/obol_torture_$$?${OBOL_TEST_PG_URL#*\?}"
    TW_DB=$TW_PG_URL
  fi
  "$OBOL" issuer init --db "$TW_DB" --currency EUR --coupon-denom "$TW_COUPON_DENOM" \
    --payword-token-value "$TW_TOKEN_VALUE" >"$T/init.log" 2>&1 || { cat "$T/init.log"; return 1; }
  TW_ISSUERS=(issuer)
  [ "$TW_BACKEND" = postgres ] && TW_ISSUERS=(issuer issuer2)
  local i
  for i in "${TW_ISSUERS[@]}"; do
    start "$i" issuer serve --db "$TW_DB" --listen 127.0.0.1:0 || return 1
  done
  TW_URL=$issuer_URL
  TW_URL2=${issuer2_URL:-$issuer_URL}

  local out
  out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$TW_URL") || return 1
  "$OBOL" issuer vendor add --db "$TW_DB" --name shop --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null || return 1
  "$OBOL" vendor payword setup --dir "$T/shop" --mode generic --report almost-online >/dev/null || return 1
  printf 'torture article\n' >"$T/article.txt"
  "$OBOL" vendor payword product --dir "$T/shop" --id article-1 --price "$TW_PRODUCT_PRICE" \
    --file "$T/article.txt" >/dev/null || return 1
  start shop vendor serve --dir "$T/shop" --issuer "$TW_URL" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
    --price "$TW_PRICE" || return 1

  # One user per worker; on PostgreSQL half of them talk to the second
  # issuer. The payword user registers for the account the operator opened.
  tw_user payer "$TW_URL" && tw_user coupon "$TW_URL2" && tw_user ecash "$TW_URL" &&
    tw_user codex "$TW_URL" && tw_user payword "$TW_URL2" || return 1
  "$OBOL" wallet payword register --wallet "$T/payword.wallet" --username payword >/dev/null || return 1
  TW_DAEMONS=("${TW_ISSUERS[@]}" shop)
  [ "$TW_BACKEND" = postgres ] && TW_DAEMONS+=(postgres)
  : >"$T/acks"
  : >"$T/tries"
  return 0
}

# ---- the load -------------------------------------------------------------

# Appends a line to a record (one write: atomic between workers).
tw_note() { printf '%s\n' "$2" >>"$T/$1"; }

# Runs an obol command with a timeout; its output in $TW_OUT, and on the
# worker's log when it fails.
tw_run() {
  TW_OUT=$(timeout "$TW_OP_TIMEOUT" "$OBOL" "$@" 2>&1) && return 0
  local rc=$?
  printf '%s: %s %s: %s\n' "$(date +%T)" "$1" "$2" "$(printf '%s' "$TW_OUT" | tail -n 1)"
  return $rc
}

tw_stopping() { [ -e "$T/stop" ]; }
tw_pause() { sleep "0.$((RANDOM % 3))$((RANDOM % 10))"; }

# The platform: payouts by request id. One that got no answer is sent again
# with the same id until it is answered (the issuer must not pay twice).
tw_worker_payout() {
  local n=0 rid="" w=$T/payer.wallet
  while ! tw_stopping; do
    [ -n "$rid" ] || { n=$((n + 1)); rid="torture-$$-$n"; tw_note tries "payout payer $rid 1000000"; }
    if tw_run wallet payout --wallet "$w" --amount EUR:0.01 --request-id "$rid"; then
      tw_note acks "payout payer $rid 1000000"
      rid=""
    fi
    tw_pause
  done
}

# coupon: metered payments of 20 units; a new coin when none can pay (the
# wallet ran low, or its coin is locked by a session a kill cut short).
tw_worker_coupon() {
  local w=$T/coupon.wallet units=20 need=1
  while ! tw_stopping; do
    if [ $need = 1 ]; then
      tw_note tries "debit coupon $TW_COIN withdraw"
      tw_run wallet withdraw --wallet "$w" --count 1 && tw_note acks "debit coupon $TW_COIN withdraw" && need=0
    else
      tw_note tries "paid shop $((units * TW_UNIT + TW_UNIT)) coupon"
      if tw_run wallet pay --wallet "$w" --vendor "$shop_ADDR" --units $units; then
        tw_note acks "paid shop $((units * TW_UNIT)) coupon"
      elif grep -q COUPON_NO_COIN <<<"$TW_OUT"; then
        need=1
      fi
    fi
    tw_pause
  done
}

# ecash: a registered key, coins of EUR:1, one coin a payment.
tw_worker_ecash() {
  local w=$T/ecash.wallet
  until tw_stopping || tw_run wallet ecash register --wallet "$w" || grep -q ECASH_KEY_REGISTERED <<<"$TW_OUT"; do
    sleep 0.5
  done
  while ! tw_stopping; do
    if ! tw_run wallet ecash coins --wallet "$w" || grep -q '^ecash-balance: EUR:0$' <<<"$TW_OUT"; then
      tw_note tries "debit ecash $((3 * TW_COIN)) topup"
      tw_run wallet ecash topup --wallet "$w" --amount EUR:3 --coin EUR:1 &&
        tw_note acks "debit ecash $((3 * TW_COIN)) topup"
    else
      tw_note tries "paid shop $TW_COIN ecash"
      tw_run wallet ecash pay --wallet "$w" --vendor "$shop_ADDR" && tw_note acks "paid shop $TW_COIN ecash"
    fi
    tw_pause
  done
}

# payword: tokens of EUR:0.01 ten at a time, products of two tokens.
tw_worker_payword() {
  local w=$T/payword.wallet
  while ! tw_stopping; do
    tw_note tries "paid shop $TW_PRODUCT payword"
    if tw_run wallet payword buy --wallet "$w" --vendor "$shop_ADDR" --product article-1; then
      tw_note acks "paid shop $TW_PRODUCT payword"
    elif grep -q 'PAYWORD_NO_CERT\|PAYWORD_NO_TOKENS\|PAYWORD_EXHAUSTED\|TOKENS\|PAYWORD_BUY_PENDING' <<<"$TW_OUT"; then
      # (BUY_PENDING: a purchase cut short by a kill; buy-tokens sends it again)
      tw_note tries "debit payword 10000000 buy-tokens"
      tw_run wallet payword buy-tokens --wallet "$w" --tokens 10 &&
        tw_note acks "debit payword 10000000 buy-tokens"
    fi
    tw_pause
  done
}

# codex: a Codex of EUR:5 with a safe deposit of EUR:1, paid to the vendor
# over the device link EUR:0.01 at a time, synced now and then.
tw_worker_codex() {
  local w=$T/codex.wallet n=0
  until tw_stopping; do
    tw_note tries "debit codex 600000000 open"
    if tw_run wallet codex open --wallet "$w" --amount EUR:5 --deposit EUR:1 ||
       grep -q CODEX_ALREADY_OPEN <<<"$TW_OUT"; then
      grep -q CODEX_ALREADY_OPEN <<<"$TW_OUT" || tw_note acks "debit codex 600000000 open"
      break
    fi
    sleep 0.5
  done
  while ! tw_stopping; do
    n=$((n + 1))
    tw_note tries "paid shop 1000000 codex"
    tw_run wallet codex pay --wallet "$w" --vendor "$shop_ADDR" --amount EUR:0.01 &&
      tw_note acks "paid shop 1000000 codex"
    [ $((n % 10)) -eq 0 ] && tw_run wallet codex sync --wallet "$w"
    tw_pause
  done
}

TW_WORKERS=(payout coupon ecash payword codex)

torture_load_start() {
  rm -f "$T/stop"
  TW_PIDS=()
  local w
  for w in "${TW_WORKERS[@]}"; do
    "tw_worker_$w" >"$T/worker-$w.log" 2>&1 &
    TW_PIDS+=($!)
  done
}

torture_load_stop() {
  touch "$T/stop"
  local p
  for p in "${TW_PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# ---- the checks -----------------------------------------------------------

tw_fail() { echo "verify $TW_WHEN: FAIL $*"; TW_BAD=1; }

# Sums the amounts of record lines matching "KIND WHO".
tw_sum() { awk -v k="$2" -v w="$3" '$1 == k && $2 == w { s += $(NF - 1 + (k == "payout")) } END { printf "%.0f\n", s }' "$T/$1"; }

# The balance of an account in 10^-8, from the ledger.
tw_balance() { tw_sql "SELECT balance FROM accounts WHERE name = '$1'"; }

# What torture_verify reads of the ledger, in one session of the SQL shell
# (on a loaded machine each new psql or sqlite3 costs a second or more, and
# the checks ran seven of them after every kill): one line per answered
# payout request id, "P|REF|COUNT", and per user "B|NAME|BALANCE".
TW_LEDGER_SQL="SELECT 'P|' || ref || '|' || count(*) FROM journal_entries WHERE reason = 'payout' GROUP BY ref;
SELECT 'B|' || name || '|' || balance FROM accounts WHERE name IN ('payer', 'coupon', 'ecash', 'payword', 'codex');"

torture_verify() {
  TW_WHEN=$1
  TW_BAD=0
  local out
  # What was answered before the database is read must be in what it shows.
  cp "$T/acks" "$T/acks.snap"
  # The conservation audit.
  out=$(timeout 120 "$OBOL" audit --db "$TW_DB" 2>&1)
  [ "$(printf '%s\n' "$out" | tail -n 1)" = "audit: OK" ] || tw_fail "audit: $(printf '%s' "$out" | tail -n 3)"
  tw_sql "$TW_LEDGER_SQL" >"$T/ledger.now" || tw_fail "cannot read the ledger"
  # Every payout that was answered is in the ledger, once; none twice. No
  # account was debited less than what was answered (the answered debits
  # and payouts are all there): its balance is at most its funding less
  # the answered payouts and debits. One line per finding.
  out=$(awk -v fund="$TW_FUND_UNITS" '
    NR == FNR { split($0, a, "|")
                if (a[1] == "P") n[a[2]] = a[3]
                else if (a[1] == "B") bal[a[2]] = a[3]
                next }
    $1 == "payout" { spent[$2] += $4; if (n[$3] != 1) bad[++nb] = $3 " " (n[$3] + 0) }
    $1 == "debit" { spent[$2] += $3 }
    END {
      for (i = 1; i <= nb && i <= 3; i++) print "answered payout not in the ledger once: " bad[i]
      for (r in n) if (n[r] > 1 && ++twice <= 3) print "payout in the ledger twice: " r " " n[r]
      split("payer coupon ecash payword codex", users, " ")
      for (i = 1; i <= 5; i++) {
        u = users[i]; most = sprintf("%.0f", fund - spent[u])
        if (!(u in bal) || bal[u] == "" || bal[u] + 0 > most + 0)
          print u " holds " bal[u] ", more than funded less what it was told it spent (" most ")"
      }
    }' "$T/ledger.now" "$T/acks.snap")
  [ -z "$out" ] || tw_fail "$(printf '%s' "$out" | tr '\n' ';')"
  # The vendor's outbox lost no row: every id seen before is still there.
  tw_vendor_sql "SELECT id FROM outbox ORDER BY id" >"$T/outbox.now" 2>/dev/null ||
    tw_fail "cannot read the vendor's outbox"
  if [ -s "$T/outbox.seen" ]; then
    out=$(sort "$T/outbox.now" | comm -23 "$T/outbox.seen" - | head -n 3)
    [ -z "$out" ] || tw_fail "outbox rows lost: $out"
  fi
  sort -u "$T/outbox.now" "$T/outbox.seen" 2>/dev/null >"$T/outbox.tmp"; mv "$T/outbox.tmp" "$T/outbox.seen"
  TW_VERIFIED=$((${TW_VERIFIED:-0} + 1))
  [ $TW_BAD = 0 ] && [ "$TW_WHEN" != final ] && [ "${TW_QUIET:-0}" = 0 ] && echo "verify $TW_WHEN: OK"
  return $TW_BAD
}

torture_final() {
  TW_WHEN=final
  TW_BAD=0
  local i pending
  for i in $(seq 1 600); do
    pending=$(tw_vendor_sql "SELECT count(*) FROM outbox WHERE state = 0")
    [ "$pending" = 0 ] && break
    sleep 0.2
  done
  [ "$pending" = 0 ] || tw_fail "the vendor's outbox did not drain: $pending rows pending"
  torture_verify final || true
  TW_WHEN=final
  # For each scheme, the vendor was credited at least what it acknowledged
  # and at most what it was offered (the ledger's entries for a scheme's
  # credits have reasons that start with its name). A shortfall comes with
  # the scheme's outbox rows the issuer refused for good (the scheme's
  # judgement, its engineer's to explain); with TW_SHORTFALL_NOTE=1 (the
  # bounded run of make check) such a shortfall is reported, not failed.
  local s owed offered got refused u bal tried
  for s in coupon ecash payword codex; do
    owed=$(awk -v s="$s" '$1 == "paid" && $2 == "shop" && $4 == s { t += $3 } END { printf "%.0f\n", t }' "$T/acks")
    offered=$(awk -v s="$s" '$1 == "paid" && $2 == "shop" && $4 == s { t += $3 } END { printf "%.0f\n", t }' "$T/tries")
    got=$(tw_sql "SELECT coalesce(sum(l.amount), 0) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
                  JOIN accounts a ON a.id = l.account_id WHERE a.name = 'shop' AND e.reason LIKE '$s-%'")
    refused=$(tw_vendor_sql "SELECT kind || ' ' || last_error || ' x' || count(*) FROM outbox
                             WHERE state = 2 AND scheme = '$s' GROUP BY kind, last_error" | tr '\n' ' ')
    if [ -z "$got" ] || [ "$got" -gt "$offered" ]; then
      tw_fail "$s: the vendor was credited $got, more than it was offered ($offered)"
    elif [ "$got" -lt "$owed" ]; then
      if [ "${TW_SHORTFALL_NOTE:-0}" = 1 ] && [ -n "$refused" ]; then
        echo "verify final: NOTE $s: the vendor was credited $got of the $owed it acknowledged; refused rows: $refused"
      else
        tw_fail "$s: the vendor was credited $got of the $owed it acknowledged; refused rows: ${refused:-none}"
      fi
    fi
  done
  # Nobody paid more than it asked to.
  for u in payer coupon ecash payword codex; do
    bal=$(tw_balance "$u")
    tried=$(($(tw_sum tries payout "$u") + $(tw_sum tries debit "$u")))
    [ "$bal" -ge $((TW_FUND_UNITS - tried)) ] || tw_fail "$u holds $bal, less than funded less all it tried"
  done
  [ $TW_BAD = 0 ] && echo "verify final: OK"
  return $TW_BAD
}

# Counts of what was answered, per kind: "payout 12 coupon 30 ...".
torture_counts() {
  awk '{ k = ($1 == "paid" || $1 == "debit") ? $NF : $1; c[k]++ } END { for (k in c) printf "%s %d  ", k, c[k] }' "$T/acks"
}
