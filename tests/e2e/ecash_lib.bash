# Helpers of the ecash end-to-end scripts (tests/e2e/ecash*.sh), sourced after
# lib.sh, with DB (the issuer's database URL) and issuer_URL set:
#   join NAME [FUND] [ISSUER_URL]   a wallet $T/NAME.wallet with an account
#                         (funded with FUND) and a registered ecash key;
#                         prints what 'wallet ecash register' printed
#   W NAME                the wallet's path
#   balance NAME          the account's balance at the issuer
#   audit CASE            pass audit_ok_CASE when 'obol audit' ends "audit: OK"
join() {
  local key
  key=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "${3:-$issuer_URL}" --account "$1" \
        | sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$key" >/dev/null || return 1
  if [ -n "${2:-}" ]; then "$OBOL" issuer fund --db "$DB" --account "$1" --amount "$2" >/dev/null || return 1; fi
  "$OBOL" wallet ecash register --wallet "$T/$1.wallet"
}
W() { printf '%s' "$T/$1.wallet"; }
balance() { field balance "$("$OBOL" issuer account show --db "$DB" --account "$1")"; }
audit() {
  local out
  out=$("$OBOL" audit --db "$DB")
  printf '%s' "$out" | grep -q "^audit: OK" && pass "audit_ok_$1" || fail "audit_ok_$1" "$out"
}
