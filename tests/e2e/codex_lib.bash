# Helpers of the codex end-to-end scripts (tests/e2e/codex*.sh). Source it
# after lib.sh:  . "$(dirname "$0")/codex_lib.bash"
#
#   codex_bank [INIT-ARGS...]   a new issuer database ($DB) and its daemon
#                               ($issuer_URL); INIT-ARGS go to `issuer init`
#   W NAME                      NAME's wallet file
#   member NAME [URL]           a wallet whose issuer is URL (default the
#                               bank), a user account for it, EUR:30 funded
#   open_codex NAME AMOUNT DEPOSIT   its Codex
#   balance NAME                the Codex's balance
#   account NAME                the ledger account's balance
#   request PAYEE               the payee's request, in $T/req
#   pay FROM TO AMOUNT          request, payment, acknowledgement, ack (files)

codex_bank() {
  DB=sqlite:$T/bank.db
  "$OBOL" issuer init --db "$DB" --currency EUR "$@" >/dev/null || return 1
  start issuer issuer serve --db "$DB" --listen 127.0.0.1:0
}
W() { printf '%s/%s.wallet' "$T" "$1"; }
member() {
  local key
  key=$("$OBOL" wallet init --wallet "$(W "$1")" --issuer "${2:-$issuer_URL}" --account "$1" |
    sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$key" >/dev/null
  "$OBOL" issuer fund --db "$DB" --account "$1" --amount EUR:30 >/dev/null
}
open_codex() { "$OBOL" wallet codex open --wallet "$(W "$1")" --amount "$2" --deposit "$3" >/dev/null; }
balance() { field balance "$("$OBOL" wallet codex show --wallet "$(W "$1")")"; }
account() { field balance "$("$OBOL" issuer account show --db "$DB" --account "$1")"; }
request() { "$OBOL" wallet codex request --wallet "$(W "$1")" --out "$T/req" >/dev/null; }
pay() {
  request "$2" &&
  "$OBOL" wallet codex pay --wallet "$(W "$1")" --request "$T/req" --amount "$3" --out "$T/pay" >/dev/null &&
  "$OBOL" wallet codex receive --wallet "$(W "$2")" --in "$T/pay" --out "$T/ack" >/dev/null &&
  "$OBOL" wallet codex ack --wallet "$(W "$1")" --in "$T/ack" >/dev/null
}
