#!/usr/bin/env bash
# Issue 14 cases 2, 6 and 8, end to end: a close pays the value back and
# holds the safe deposit; a copy of the closed Codex still pays offline, and
# its payee is paid from the held deposit, not from outside; the deposit is
# released only after the hold; the account opens a new Codex; a certificate
# near its end is renewed at sync.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

# certificates of one day: inside the renewal margin, renewed at every sync
codex_bank --codex-cert-days 1 || { fail codex_close_issuer; exit 1; }
for u in alice bob; do member $u && open_codex $u EUR:10 EUR:8; done
[ "$(account alice)" = "EUR:12" ] || fail codex_close_setup "$(account alice)"

# Alice keeps a copy of her Codex and closes it: the value comes back, the
# deposit is held.
cp "$(W alice)" "$T/alice.copy"
out=$("$OBOL" wallet codex close --wallet "$(W alice)" 2>&1)
[ "$(field 'paid out' "$out")" = "EUR:10" ] && [ "$(field 'safe deposit held' "$out")" = "EUR:8" ] \
  && pass codex_close_value_back_deposit_held || fail codex_close_value_back_deposit_held "$out"
[ "$(account alice)" = "EUR:22" ] && pass codex_close_account_credited_value || fail codex_close_account_credited_value "$(account alice)"
expect_error CODEX_DEPOSIT_HELD "$OBOL" wallet codex release --wallet "$(W alice)" \
  && pass codex_close_release_waits_for_the_hold || fail codex_close_release_waits_for_the_hold

# The copy pays Bob EUR 6 offline after the close; Bob reconciles.
cp "$T/alice.copy" "$(W alice)"
pay alice bob EUR:6 && pass codex_close_copy_pays_offline || fail codex_close_copy_pays_offline
out=$("$OBOL" wallet codex sync --wallet "$(W bob)" 2>&1)
[ "$(balance bob)" = "EUR:16" ] && pass codex_close_payee_paid_in_full || fail codex_close_payee_paid_in_full "$out"
out=$("$OBOL" issuer codex check --db "$DB")
[ "$(field 'paid from safe deposits' "$out")" = "EUR:6" ] && [ "$(field 'paid from outside' "$out")" = "EUR:0" ] \
  && pass codex_close_copy_paid_from_the_held_deposit || fail codex_close_copy_paid_from_the_held_deposit "$out"
[ "$(field consistency "$out")" = OK ] && pass codex_close_consistent || fail codex_close_consistent "$out"

# Bob closes and opens a new Codex: his account is his again.
out=$("$OBOL" wallet codex close --wallet "$(W bob)" 2>&1)
[ "$(field 'paid out' "$out")" = "EUR:16" ] || fail codex_close_bob_closes "$out"
out=$("$OBOL" wallet codex open --wallet "$(W bob)" --amount EUR:5 --deposit EUR:2 2>&1)
[ "$(field balance "$out")" = "EUR:5" ] && [ "$(field 'safe deposit' "$out")" = "EUR:10" ] \
  && pass codex_close_account_opens_again || fail codex_close_account_opens_again "$out"
# ... and its certificate, near its end, is renewed at sync.
out=$("$OBOL" wallet codex sync --wallet "$(W bob)" 2>&1)
[ "$(field 'certificate renewed' "$out")" = yes ] && pass codex_close_certificate_renewed || fail codex_close_certificate_renewed "$out"

out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_close_audit || fail codex_close_audit "$out"
