#!/usr/bin/env bash
# ecash: one coin spent twice by one account (issue 12), real daemons and
# wallets; the cheating payers use nothing but copies of their own wallet
# files, the cheated shop a backup of its store:
#   case 5  mallory tops up a coin, copies her wallet and renews the key in
#           the copy (her account's second key); she pays shop1 with the
#           first key and shop2 with the second: the second deposit is a
#           double spend naming her account, every key of it is revoked and
#           the account barred (no new key registered);
#   case 6  mallet pays shop1, which deposits; shop1 restores the backup of
#           its store made before; mallet pays it again with the same coin
#           from a backup of his wallet: shop1's second deposit is a double
#           spend naming mallet, not "already deposited".
# After each, the shops' credit and the audit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecash_lib.bash"

DB=sqlite:$T/issuer.db
"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail ecash_forks_setup "issuer init"; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail ecash_forks_setup "issuer serve"; exit 1; }

report() { "$OBOL" issuer ecash report --db "$DB"; }
wait_report() { # FIELD VALUE: until the report's FIELD is VALUE
  for i in $(seq 1 120); do [ "$(field "$1" "$(report)")" = "$2" ] && return 0; sleep 0.25; done; return 1
}
for s in shop1 shop2; do
  VOUT=$("$OBOL" vendor init --dir "$T/$s" --issuer "$issuer_URL")
  "$OBOL" issuer vendor add --db "$DB" --name $s --vendor-key "$(field vendor-key "$VOUT")" \
    --box-key "$(field box-key "$VOUT")" --out "$T/$s/vendor.cert" >/dev/null
  start $s vendor serve --dir "$T/$s" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:1 \
    || { fail ecash_forks_setup "$s serve"; exit 1; }
done
# shop1's backup, made before any payment (its registration is in it).
stop shop1
mkdir -p "$T/shop1-backup" && cp "$T"/shop1/vendor.db* "$T/shop1-backup/"
restart shop1 || { fail ecash_forks_setup "shop1 restart"; exit 1; }

# ---- case 5: one coin, the account's two keys ----
out=$(join mallory EUR:10) || fail register_mallory "$out"
MALLORY_ACCOUNT=$(field ecash-account "$out")
KEY1=$(field ecash-key "$out")
"$OBOL" wallet ecash topup --wallet "$(W mallory)" --amount EUR:1 --coin EUR:1 >/dev/null || fail topup_mallory
"$OBOL" wallet ecash refresh --wallet "$(W mallory)" >/dev/null || fail refresh_mallory
cp "$(W mallory)" "$(W mallory2)"
out=$("$OBOL" wallet ecash renew --wallet "$(W mallory2)" 2>&1)
KEY2=$(field ecash-key "$out")
[ -n "$KEY2" ] && [ "$KEY2" != "$KEY1" ] && [ "$(field ecash-account "$out")" = "$MALLORY_ACCOUNT" ] \
  && pass second_key_of_the_account || fail second_key_of_the_account "$out"
check two_keys_pay_shop1 "$OBOL" wallet ecash pay --wallet "$(W mallory)" --vendor "$shop1_ADDR"
wait_report deposits 1 || fail two_keys_first_deposit "$(report)"
check two_keys_pay_shop2 "$OBOL" wallet ecash pay --wallet "$(W mallory2)" --vendor "$shop2_ADDR"
wait_report double-spends 1 && out=$(report) && printf '%s' "$out" | grep -q "culprit-name: mallory" \
  && pass two_keys_double_spend_names_the_account || fail two_keys_double_spend_names_the_account "$(report)"
out=$(report)
[ "$(field revoked-keys "$out")" = 2 ] && pass two_keys_both_revoked || fail two_keys_both_revoked "$out"
[ "$(field barred-accounts "$out")" = 1 ] && pass two_keys_account_barred || fail two_keys_account_barred "$out"
expect_error ECASH_ACCOUNT_BARRED "$OBOL" wallet ecash renew --wallet "$(W mallory)" \
  && pass barred_account_registers_no_key || fail barred_account_registers_no_key
[ "$(balance shop1)" = "EUR:1" ] && pass two_keys_first_deposit_credited \
  || fail two_keys_first_deposit_credited "$(balance shop1)"
audit two_keys

# ---- case 6: one coin twice at one shop, which restored its backup ----
out=$(join mallet EUR:10) || fail register_mallet "$out"
"$OBOL" wallet ecash topup --wallet "$(W mallet)" --amount EUR:1 --coin EUR:1 >/dev/null || fail topup_mallet
"$OBOL" wallet ecash refresh --wallet "$(W mallet)" >/dev/null || fail refresh_mallet
cp "$(W mallet)" "$T/mallet-backup.wallet"
check same_shop_first_payment "$OBOL" wallet ecash pay --wallet "$(W mallet)" --vendor "$shop1_ADDR"
wait_report deposits 2 || fail same_shop_first_deposit "$(report)"
[ "$(balance shop1)" = "EUR:2" ] && pass same_shop_first_deposit || fail same_shop_first_deposit "$(balance shop1)"
stop shop1
rm -f "$T"/shop1/vendor.db*
cp "$T"/shop1-backup/vendor.db* "$T/shop1/"
restart shop1 && pass shop_restores_its_backup || fail shop_restores_its_backup
check same_shop_second_payment "$OBOL" wallet ecash pay --wallet "$T/mallet-backup.wallet" --vendor "$shop1_ADDR"
if wait_report double-spends 2 && report | grep -q "culprit-name: mallet "; then
  pass same_shop_second_chain_is_a_double_spend
else
  fail same_shop_second_chain_is_a_double_spend "$(report) $(tail -n 3 "$T/shop1.log")"
fi
[ "$(field revoked-keys "$(report)")" = 3 ] && pass same_shop_payer_revoked || fail same_shop_payer_revoked "$(report)"
[ "$(balance shop1)" = "EUR:2" ] && pass same_shop_credited_once || fail same_shop_credited_once "$(balance shop1)"
audit same_shop
