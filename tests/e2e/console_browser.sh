#!/usr/bin/env bash
# The issuer's and the vendor's consoles in a real browser (headless Chromium
# driven by tests/browser/console_test.py): log in, read every page, fund an
# account and see it in the balance, the journal and the audit log, read a
# fraud's evidence, send the
# vendor's outbox while the issuer is down and again once it is back, be
# refused without a session and with a forged CSRF token, a hostile account
# name shown as text. SCREENSHOTS=DIR also writes a PNG of each page there
# (make screenshots).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! "$PY" -c 'import selenium' 2>/dev/null; then
  fail browser_installed "chromium, chromium-driver or python3-selenium is missing: scripts/deps.sh check installs them"
  exit 1
fi
export OBOL_CONSOLE_PASSWORD='console e2e password'
DB=sqlite:$T/issuer.db
HOSTILE='<script>window.obolPwned=1</script>'

"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --console 127.0.0.1:0 || { fail issuer_serve; exit 1; }
ISSUER_CONSOLE=http://$issuer_ADDR2

out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --console 127.0.0.1:0 \
  || { fail vendor_serve; exit 1; }
VENDOR_CONSOLE=http://$vendor_ADDR2

# alice: an account with EUR:10, a coupon coin of which 300 tokens are paid to
# the shop, EUR:2 of e-cash for the payment the shop takes while the issuer is
# down; and an account whose name is markup
W=(--wallet "$T/alice.wallet")
KEY=$("$OBOL" wallet init "${W[@]}" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
"$OBOL" issuer account add --db "$DB" --kind user --name "$HOSTILE" >/dev/null
{ "$OBOL" wallet withdraw "${W[@]}" --count 1 &&
  "$OBOL" wallet pay "${W[@]}" --vendor "$vendor_ADDR" --units 300 &&
  "$OBOL" wallet ecash register "${W[@]}" &&
  "$OBOL" wallet ecash topup "${W[@]}" --amount EUR:2 --coin EUR:1 &&
  "$OBOL" wallet ecash refresh "${W[@]}"; } >"$T/setup.log" 2>&1 \
  && pass console_setup || { fail console_setup "$(tail -n 3 "$T/setup.log")"; exit 1; }
# bob: a Codex (EUR:3, deposit EUR:1) and a payword chain of 10 tokens, for
# the outstanding page
export OBOL_PAYWORD_PASSWORD='console e2e payword'
BOB=(--wallet "$T/bob.wallet")
KEY=$("$OBOL" wallet init "${BOB[@]}" --issuer "$issuer_URL" --account bob | sed -n 's/^account-key: //p')
{ "$OBOL" issuer account add --db "$DB" --kind user --name bob --auth-key "$KEY" &&
  "$OBOL" issuer fund --db "$DB" --account bob --amount EUR:10 &&
  "$OBOL" wallet codex open "${BOB[@]}" --amount EUR:3 --deposit EUR:1 &&
  "$OBOL" wallet payword register "${BOB[@]}" --username bob &&
  "$OBOL" wallet payword buy-tokens "${BOB[@]}" --tokens 10; } >>"$T/setup.log" 2>&1 \
  && pass console_setup_bob || { fail console_setup_bob "$(tail -n 3 "$T/setup.log")"; exit 1; }

# a payword fraud the agent proved, its evidence holding markup (the frauds
# page shows it as text)
sqlite3 "$T/issuer.db" "INSERT INTO payword_evidence (id, kind, serial, culprit, detail, created) VALUES
  (1, 'double spend', 7, 'user 42', 'two payments of token 3: $HOSTILE', strftime('%s', 'now'))" \
  && pass console_fraud_recorded || fail console_fraud_recorded

# alice's coupon coin held by a lock for 10 more minutes (the outstanding
# page lists the lock and its deadline)
sqlite3 "$T/issuer.db" "UPDATE coupon_coins SET locked = 1, lock_until = strftime('%s', 'now') + 600,
  lock_vendor_account = (SELECT id FROM accounts WHERE name = 'shop')" \
  && pass console_lock_held || fail console_lock_held

# The browser asks for the issuer to go down (then alice pays e-cash, which
# the shop queues in its outbox) and to come back.
coproc BROWSER { "$PY" "$E2E_ROOT/tests/browser/console_test.py" --issuer "$ISSUER_CONSOLE" --vendor "$VENDOR_CONSOLE" \
  --user admin --password "$OBOL_CONSOLE_PASSWORD" --hostile "$HOSTILE" --alice-before EUR:7 --alice-after EUR:12 \
  ${SCREENSHOTS:+--screenshots "$SCREENSHOTS"} 2>"$T/browser.err"; }
BPID=$BROWSER_PID # bash unsets BROWSER_PID once the coprocess has ended
while IFS= read -r line <&"${BROWSER[0]}"; do
  case $line in
    "STEP issuer-down")
      stop issuer
      "$OBOL" wallet ecash pay "${W[@]}" --vendor "$vendor_ADDR" >>"$T/setup.log" 2>&1 \
        && pass ecash_paid_while_issuer_down || fail ecash_paid_while_issuer_down "$(tail -n 2 "$T/setup.log")"
      echo go >&"${BROWSER[1]}" ;;
    "STEP issuer-up")
      restart issuer || fail issuer_restart
      echo go >&"${BROWSER[1]}" ;;
    *) printf '%s\n' "$line" ;;
  esac
done
BROWSER_RC=0
wait "$BPID" 2>/dev/null || BROWSER_RC=$?
[ "$BROWSER_RC" -le 1 ] || fail browser_run "$(tail -n 5 "$T/browser.err")"

out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass console_audit_ok || fail console_audit_ok "$out"
