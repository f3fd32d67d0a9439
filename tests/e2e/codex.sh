#!/usr/bin/env bash
# The codex scheme (seed 004) with real processes: accounts with a safe
# deposit, offline payments through files both ways, every payee check,
# reconciliation at the bank, a vendor payee that survives a crash, a
# rolled-back Codex found and paid from the safe deposit, the blacklist
# offline and at the vendor, a refused payment refunded to its payer,
# account deletion, consistency and audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/codex_lib.bash"

codex_bank || { fail codex_issuer_serve; exit 1; }

for u in alice bob carol; do member $u; done

# Create account: the Codex and the safe deposit come from the account.
# The safe deposit is also what a Codex may pay offline between two syncs.
check codex_open "$OBOL" wallet codex open --wallet "$(W alice)" --amount EUR:10 --deposit EUR:8
"$OBOL" wallet codex open --wallet "$(W bob)" --amount EUR:10 --deposit EUR:5 >/dev/null
"$OBOL" wallet codex open --wallet "$(W carol)" --amount EUR:4 --deposit EUR:4 >/dev/null
expect_error CODEX_ALREADY_OPEN "$OBOL" wallet codex open --wallet "$(W alice)" --amount EUR:1 --deposit EUR:1 \
  && pass codex_open_twice_refused || fail codex_open_twice_refused
[ "$(account alice)" = "EUR:12" ] \
  && pass codex_open_debits_account || fail codex_open_debits_account

# Offline, both ways.
pay alice bob EUR:6 && pay bob alice EUR:1.5 && pass codex_offline_both_ways || fail codex_offline_both_ways
[ "$(balance alice)" = "EUR:5.5" ] && [ "$(balance bob)" = "EUR:14.5" ] \
  && pass codex_balances_move || fail codex_balances_move "alice $(balance alice) bob $(balance bob)"

# The payee's checks, each refused with its name and nothing changed.
pay alice bob EUR:1 || fail codex_setup_payment
expect_error CODEX_TOKEN_SEEN "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ack2" \
  && pass codex_replay_refused || fail codex_replay_refused
expect_error DECRYPT_FAILED "$OBOL" wallet codex receive --wallet "$(W carol)" --in "$T/pay" --out "$T/ack2" \
  && pass codex_other_payee_cannot_open || fail codex_other_payee_cannot_open
head -c 100 "$T/pay" >"$T/short"
expect_error WIRE_TRUNCATED "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/short" --out "$T/ack2" \
  && pass codex_truncated_payment_refused || fail codex_truncated_payment_refused
cp "$T/pay" "$T/flipped"; printf 'X' | dd of="$T/flipped" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_error DECRYPT_FAILED "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/flipped" --out "$T/ack2" \
  && pass codex_changed_payment_refused || fail codex_changed_payment_refused
expect_error CODEX_ACK_UNKNOWN "$OBOL" wallet codex ack --wallet "$(W carol)" --in "$T/ack" \
  && pass codex_foreign_ack_refused || fail codex_foreign_ack_refused
[ "$(balance bob)" = "EUR:15.5" ] && pass codex_refusals_change_nothing || fail codex_refusals_change_nothing "$(balance bob)"

# The axioms: amount > 0, amount <= balance.
"$OBOL" wallet codex request --wallet "$(W bob)" --out "$T/req" >/dev/null
expect_error CODEX_AMOUNT_INVALID "$OBOL" wallet codex pay --wallet "$(W carol)" --request "$T/req" --amount EUR:0 --out "$T/p2" \
  && pass codex_zero_amount_refused || fail codex_zero_amount_refused
expect_error CODEX_INSUFFICIENT "$OBOL" wallet codex pay --wallet "$(W carol)" --request "$T/req" --amount EUR:4.01 --out "$T/p2" \
  && pass codex_over_balance_refused || fail codex_over_balance_refused
pay carol bob EUR:4 && [ "$(balance carol)" = "EUR:0" ] && pass codex_whole_balance_spendable || fail codex_whole_balance_spendable

# Reconciliation: the bank credits from the logs; a copy of an old Codex is refused.
cp "$(W alice)" "$T/alice.old"
check codex_sync "$OBOL" wallet codex sync --wallet "$(W alice)" --load EUR:2
[ "$(balance alice)" = "EUR:6.5" ] && pass codex_sync_balance || fail codex_sync_balance "$(balance alice)"
cp "$T/alice.old" "$T/alice.stale.wallet"
expect_error CODEX_STATE_STALE "$OBOL" wallet codex sync --wallet "$T/alice.stale.wallet" \
  && pass codex_stale_state_refused || fail codex_stale_state_refused
check codex_check_consistent "$OBOL" issuer codex check --db "$DB"

# A vendor payee on the device link; its deposit reaches the bank, also across a crash.
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
start shop vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.25
out=$("$OBOL" wallet codex pay --wallet "$(W alice)" --vendor "$shop_ADDR" 2>&1)
[ "$(field acknowledged "$out")" = yes ] && pass codex_vendor_pay || fail codex_vendor_pay "$out"
kill9 shop
restart shop
out=$("$OBOL" wallet codex pay --wallet "$(W bob)" --vendor "$shop_ADDR" 2>&1)
[ "$(field acknowledged "$out")" = yes ] && pass codex_vendor_after_crash || fail codex_vendor_after_crash "$out"
for i in $(seq 1 40); do
  [ "$(field balance "$("$OBOL" issuer account show --db "$DB" --account shop)")" = "EUR:0.5" ] && break
  sleep 0.25
done
[ "$(field balance "$("$OBOL" issuer account show --db "$DB" --account shop)")" = "EUR:0.5" ] \
  && pass codex_vendor_deposited_once_each || fail codex_vendor_deposited_once_each

# A rolled-back Codex: Alice pays Bob, restores her copy, pays Carol the same money.
# (one finding: the fork; the overspend it causes is paid from the deposit, a loss row)
cp "$(W alice)" "$T/alice.copy"
pay alice bob EUR:5
cp "$T/alice.copy" "$(W alice)"
pay alice carol EUR:5 && pass codex_rolled_back_codex_pays_offline || fail codex_rolled_back_codex_pays_offline
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
out=$("$OBOL" wallet codex sync --wallet "$(W carol)" 2>&1)
[ "$(field findings "$out")" = 1 ] && pass codex_fork_found_at_reconciliation || fail codex_fork_found_at_reconciliation "$out"
[ "$(balance carol)" = "EUR:5" ] && pass codex_payee_paid_from_safe_deposit || fail codex_payee_paid_from_safe_deposit "$(balance carol)"
out=$("$OBOL" issuer codex check --db "$DB")
[ "$(field consistency "$out")" = OK ] && [ "$(field 'losses reported' "$out")" = 1 ] \
  && pass codex_loss_reported || fail codex_loss_reported "$out"

# The blacklist: offline at Bob (after his next sync), at the vendor (after a deposit reply), at the bank.
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
"$OBOL" wallet codex request --wallet "$(W bob)" --out "$T/req" >/dev/null
"$OBOL" wallet codex pay --wallet "$(W alice)" --request "$T/req" --amount EUR:0.1 --out "$T/pay" >/dev/null
expect_error CODEX_PAYER_BLACKLISTED "$OBOL" wallet codex receive --wallet "$(W bob)" --in "$T/pay" --out "$T/ack" \
  && pass codex_blacklisted_refused_offline || fail codex_blacklisted_refused_offline
"$OBOL" wallet codex pay --wallet "$(W bob)" --vendor "$shop_ADDR" >/dev/null
for i in $(seq 1 40); do
  [ "$(field balance "$("$OBOL" issuer account show --db "$DB" --account shop)")" = "EUR:0.75" ] && break
  sleep 0.25
done
expect_error CODEX_PAYER_BLACKLISTED "$OBOL" wallet codex pay --wallet "$(W alice)" --vendor "$shop_ADDR" \
  && pass codex_blacklisted_refused_by_vendor || fail codex_blacklisted_refused_by_vendor
expect_error CODEX_BLACKLISTED "$OBOL" wallet codex sync --wallet "$(W alice)" \
  && pass codex_blacklisted_not_renewed || fail codex_blacklisted_not_renewed

# The bank unreachable: the sync stays pending (payments wait) and is sent
# again, with the same request id, by the next command that talks to the bank.
stop issuer
expect_error NETWORK "$OBOL" wallet codex sync --wallet "$(W carol)" \
  && pass codex_sync_outage_refused || fail codex_sync_outage_refused
"$OBOL" wallet codex show --wallet "$(W carol)" | grep -q '^sync: pending' \
  && pass codex_sync_outage_keeps_request || fail codex_sync_outage_keeps_request
"$OBOL" wallet codex request --wallet "$(W bob)" --out "$T/req" >/dev/null
expect_error CODEX_SYNC_PENDING "$OBOL" wallet codex pay --wallet "$(W carol)" --request "$T/req" --amount EUR:1 --out "$T/p3" \
  && pass codex_pending_sync_blocks_payments || fail codex_pending_sync_blocks_payments

# A payment the payee refuses (Carol's sync is pending) is answered with a
# signed refusal; a changed refusal is refused; the payer keeps the real one
# and the bank gives the value back to the payer, once, not to the payee.
bob_before=$(balance bob)
"$OBOL" wallet codex request --wallet "$(W carol)" --out "$T/req" >/dev/null
"$OBOL" wallet codex pay --wallet "$(W bob)" --request "$T/req" --amount EUR:2 --out "$T/pay" >/dev/null
rm -f "$T/refusal"
expect_error CODEX_SYNC_PENDING "$OBOL" wallet codex receive --wallet "$(W carol)" --in "$T/pay" --out "$T/refusal" \
  && [ -s "$T/refusal" ] && pass codex_refusal_written || fail codex_refusal_written
cp "$T/refusal" "$T/refusal.bad"
size=$(wc -c <"$T/refusal.bad")
printf 'X' | dd of="$T/refusal.bad" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
expect_error CODEX_REFUSAL_FORGED "$OBOL" wallet codex ack --wallet "$(W bob)" --in "$T/refusal.bad" \
  && pass codex_changed_refusal_refused || fail codex_changed_refusal_refused
expect_error CODEX_REFUSAL_UNKNOWN "$OBOL" wallet codex ack --wallet "$(W alice)" --in "$T/refusal" \
  && pass codex_foreign_refusal_refused || fail codex_foreign_refusal_refused
out=$("$OBOL" wallet codex ack --wallet "$(W bob)" --in "$T/refusal" 2>&1)
[ "$(field refused "$out")" = CODEX_SYNC_PENDING ] && [ "$(field 'refused tokens' "$out")" = 1 ] \
  && pass codex_payer_keeps_refusal || fail codex_payer_keeps_refusal "$out"
restart issuer
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
[ "$(balance bob)" = "$bob_before" ] && pass codex_refused_token_refunded || fail codex_refused_token_refunded "$(balance bob) != $bob_before"
"$OBOL" wallet codex sync --wallet "$(W bob)" >/dev/null
[ "$(balance bob)" = "$bob_before" ] && pass codex_refund_once || fail codex_refund_once "$(balance bob)"
check codex_consistent_after_refund "$OBOL" issuer codex check --db "$DB"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_audit_after_refund || fail codex_audit_after_refund "$out"

# Delete account (after finishing the pending sync): value and safe deposit
# back to the account; the Codex is gone.
before=$(field balance "$("$OBOL" issuer account show --db "$DB" --account carol)")
out=$("$OBOL" wallet codex close --wallet "$(W carol)" 2>&1)
[ "$(field 'paid out' "$out")" = "EUR:5" ] && [ "$(field 'safe deposit held' "$out")" = "EUR:4" ] \
  && pass codex_close_pays_back_value_holds_deposit || fail codex_close_pays_back_value_holds_deposit "$out (before $before)"
expect_error CODEX_DEPOSIT_HELD "$OBOL" wallet codex release --wallet "$(W carol)" \
  && pass codex_deposit_held_after_close || fail codex_deposit_held_after_close
expect_error CODEX_UNKNOWN_USER "$OBOL" wallet codex show --wallet "$(W carol)" \
  && pass codex_closed_codex_gone || fail codex_closed_codex_gone

check codex_consistency_at_end "$OBOL" issuer codex check --db "$DB"
out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass codex_audit || fail codex_audit "$out"
