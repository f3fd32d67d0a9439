#!/usr/bin/env bash
# --json: the data commands print one JSON document that a JSON parser reads
# (python3's), with the figures the text shows; under --json an error, a
# usage error too, is the API's error object on stderr and stdout stays
# empty; a failed audit says FAILED with exit 1.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
export OBOL_CONSOLE_PASSWORD='cli json password'
# jget FILE EXPR: prints the Python expression EXPR over the parsed document d
jget() { /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# jis CASE FILE EXPR WANT
jis() {
  local got
  got=$(jget "$2" "$3" 2>&1)
  [ "$got" = "$4" ] && pass "$1" || fail "$1" "$3: got '$got', want '$4' ($(head -c 300 "$2"))"
}
# jerr CASE RC NAME CMD...: exits RC, stdout empty, stderr one error object naming NAME
jerr() {
  local name=$1 want_rc=$2 want=$3 rc=0; shift 3
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" = "$want_rc" ] && [ ! -s "$T/out" ] &&
     [ "$(jget "$T/err" 'd["name"] + " " + str(d["code"] > 0) + " " + str(len(d["hint"]) > 0)')" = "$want True True" ]; then
    pass "$name"
  else
    fail "$name" "exit $rc, stdout '$(head -c 200 "$T/out")', stderr '$(head -c 300 "$T/err")'"
  fi
}

"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
W=(--wallet "$T/alice.wallet")
KEY=$("$OBOL" wallet init "${W[@]}" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
"$OBOL" wallet withdraw "${W[@]}" --count 2 >/dev/null || fail json_setup_withdraw

"$OBOL" audit --db "$DB" --json >"$T/audit.json"
jis json_audit_ok "$T/audit.json" 'd["verdict"], d["problems"], d["currency"]' "('OK', 0, 'EUR')"
jis json_audit_funding "$T/audit.json" '[i["amount"] for i in d["items"] if i.get("label") == "funding"]' "['EUR:10']"
jis json_audit_coupon_figures "$T/audit.json" \
  '[(i["label"], i["amount"]) for i in d["items"] if i.get("scheme") == "coupon"]' \
  "[('coupon liability', 'EUR:2'), ('coupon outstanding', 'EUR:2')]"
"$OBOL" issuer account list --db "$DB" --kind user --json >"$T/list.json"
jis json_account_list "$T/list.json" '[(a["name"], a["kind"], a["status"], a["balance"], len(a["auth_key"])) for a in d]' \
  "[('alice', 'user', 'active', 'EUR:8', 43)]"
"$OBOL" issuer account show --db "$DB" --account alice --json >"$T/show.json"
jis json_account_show "$T/show.json" 'd["name"], d["balance"], d["auth_key"] == "'"$KEY"'"' "('alice', 'EUR:8', True)"
jerr json_unknown_account_is_error_object 1 LEDGER_ACCOUNT_UNKNOWN \
  "$OBOL" issuer account show --db "$DB" --account nobody --json
jerr json_usage_error_is_error_object 2 USAGE "$OBOL" issuer account list --db "$DB" --json --bogus
jerr json_missing_db_is_error_object 1 STORE_MISSING "$OBOL" audit --db "sqlite:$T/nothing.db" --json
"$OBOL" issuer console-user list --db "$DB" --json >"$T/ops.json"
jis json_console_users "$T/ops.json" '[(o["name"], o["created"] > 0) for o in d]' "[('admin', True)]"

"$OBOL" wallet balance "${W[@]}" --json >"$T/balance.json"
jis json_wallet_balance "$T/balance.json" 'd["balance"], d["coins_with_tokens"], d["locked"]' "('EUR:2', 2, 0)"
"$OBOL" wallet coins "${W[@]}" --json >"$T/coins.json"
jis json_wallet_coins "$T/coins.json" '[(c["value"], c["tokens_left"], c["tokens"], c["locked"], len(c["id"])) for c in d["coins"]]' \
  "[('EUR:1', 1000, 1000, False, 64), ('EUR:1', 1000, 1000, False, 64)]"
"$OBOL" wallet account "${W[@]}" --json >"$T/account.json"
jis json_wallet_account "$T/account.json" 'd["account"], d["balance"]' "('alice', 'EUR:8')"
stop issuer
jerr json_wallet_account_unreachable 1 NETWORK "$OBOL" wallet account "${W[@]}" --json

# a broken ledger: the audit says FAILED, names its problems, exits 1
sqlite3 "$T/issuer.db" "UPDATE accounts SET balance = balance + 100 WHERE name = 'alice'"
rc=0; "$OBOL" audit --db "$DB" --json >"$T/bad.json" || rc=$?
jis json_audit_failed "$T/bad.json" 'd["verdict"], d["problems"] > 0, any(i["kind"] == "problem" for i in d["items"])' \
  "('FAILED', True, True)"
[ $rc = 1 ] && pass json_audit_failed_exit_1 || fail json_audit_failed_exit_1 "exit $rc"
