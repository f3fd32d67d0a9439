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
"$OBOL" wallet sync "${W[@]}" --all --json >"$T/sync.json"
jis json_wallet_sync "$T/sync.json" 'd["synced"], [(c["value"], c["known"], c["in_doubt"]) for c in d["coins"]]' \
  "(2, [('EUR:1', False, False), ('EUR:1', False, False)])"
"$OBOL" wallet account "${W[@]}" --json >"$T/account.json"
jis json_wallet_account "$T/account.json" 'd["account"], d["balance"]' "('alice', 'EUR:8')"

# every scheme's report, evidence and show commands
user() { # NAME: a wallet, its account (EUR:10)
  local key
  key=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "$issuer_URL" --account "$1" | sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$key" >/dev/null &&
  "$OBOL" issuer fund --db "$DB" --account "$1" --amount EUR:10 >/dev/null
}
acct_id() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^id: //p'; }

# ecash: erin pays carol, then the same coin from a copy of her wallet to
# dave; both deposit, and the report names erin
for n in erin carol dave; do user $n && "$OBOL" wallet ecash register --wallet "$T/$n.wallet" >/dev/null || fail json_ecash_setup_$n; done
"$OBOL" wallet ecash topup --wallet "$T/erin.wallet" --amount EUR:2 --coin EUR:1 >/dev/null || fail json_ecash_topup
"$OBOL" wallet ecash coins --wallet "$T/erin.wallet" --json >"$T/ecoins.json"
jis json_ecash_coins "$T/ecoins.json" \
  'd["balance"], [(c["value"], c["kind"], c["claims"], c["spendable"], len(c["serial"])) for c in d["coins"]], d["in_doubt"]' \
  "('EUR:2', [('EUR:1', 'fresh', 0, True, 32), ('EUR:1', 'fresh', 0, True, 32)], None)"
cp "$T/erin.wallet" "$T/erin-copy.wallet"
for n in carol dave; do
  start ${n}r wallet ecash receive --wallet "$T/$n.wallet" --listen 127.0.0.1:0 --price EUR:1 --count 1
done
"$OBOL" wallet ecash pay --wallet "$T/erin.wallet" --vendor "$carolr_ADDR" >/dev/null || fail json_ecash_pay
"$OBOL" wallet ecash pay --wallet "$T/erin-copy.wallet" --vendor "$daver_ADDR" >/dev/null || fail json_ecash_pay_twice
for n in carol dave; do wait "${E2E_PIDS[${n}r]}" 2>/dev/null; unset "E2E_PIDS[${n}r]"; done
"$OBOL" wallet ecash deposit --wallet "$T/carol.wallet" >/dev/null || fail json_ecash_deposit
"$OBOL" wallet ecash deposit --wallet "$T/dave.wallet" >/dev/null 2>&1 # ECASH_DOUBLE_SPENT
"$OBOL" issuer ecash report --db "$DB" --json >"$T/ereport.json"
jis json_ecash_report "$T/ereport.json" \
  'd["coins_issued"], d["issued_value"], d["outstanding"], d["deposits"], d["double_spends"]' "(2, 'EUR:2', 1, 1, 1)"
jis json_ecash_report_culprit "$T/ereport.json" \
  '[(x["culprit_account"], len(x["serial"])) for x in d["double_spend_list"]], [c["name"] for c in d["culprits"]]' \
  "([($(acct_id erin), 32)], ['erin'])"
jerr json_ecash_report_missing_db 1 STORE_MISSING "$OBOL" issuer ecash report --db "sqlite:$T/nothing.db" --json

# codex: frank opens a Codex and pays grace offline
user frank && user grace || fail json_codex_setup
"$OBOL" wallet codex open --wallet "$T/frank.wallet" --amount EUR:5 --deposit EUR:2 >/dev/null || fail json_codex_open
"$OBOL" wallet codex open --wallet "$T/grace.wallet" --amount EUR:1 --deposit EUR:1 >/dev/null || fail json_codex_open
"$OBOL" wallet codex request --wallet "$T/grace.wallet" --out "$T/req" >/dev/null &&
"$OBOL" wallet codex pay --wallet "$T/frank.wallet" --request "$T/req" --amount EUR:0.5 --out "$T/pay" >/dev/null &&
"$OBOL" wallet codex receive --wallet "$T/grace.wallet" --in "$T/pay" --out "$T/ack" >/dev/null &&
"$OBOL" wallet codex ack --wallet "$T/frank.wallet" --in "$T/ack" >/dev/null || fail json_codex_pay
"$OBOL" wallet codex show --wallet "$T/frank.wallet" --json >"$T/cshow.json"
jis json_codex_show "$T/cshow.json" \
  'd["user"], d["user_id"] > 0, d["balance"], d["deposit"], d["transactions"], d["pending"], d["paid_this_epoch"], d["blacklist"]["users"]' \
  "('frank', True, 'EUR:4.5', 'EUR:2', 1, 0, 'EUR:0.5', 0)"
"$OBOL" wallet codex sync --wallet "$T/frank.wallet" >/dev/null && "$OBOL" wallet codex sync --wallet "$T/grace.wallet" >/dev/null \
  || fail json_codex_sync
"$OBOL" wallet codex blacklist --wallet "$T/frank.wallet" --json >"$T/cbl.json"
jis json_codex_blacklist "$T/cbl.json" 'd["version"], d["users"]' "(0, [])"
"$OBOL" issuer codex check --db "$DB" --json >"$T/ccheck.json"
jis json_codex_check "$T/ccheck.json" \
  'd["consistency"], d["codex_users"], d["deposits"], [(u["user"], u["value"], u["blacklisted"]) for u in d["users"]], d["losses"]["count"]' \
  "('OK', 2, 'EUR:3', [('frank', 'EUR:4.5', False), ('grace', 'EUR:1.5', False)], 0)"
jerr json_codex_show_no_codex 1 CODEX_UNKNOWN_USER "$OBOL" wallet codex show --wallet "$T/alice.wallet" --json

# payword: ivan buys tokens and an article at shopa, then pays the same
# tokens again from a copy of his wallet at shopb: the agent's evidence
export OBOL_PAYWORD_PASSWORD='cli json payword'
pw_vendor() { # NAME
  local out
  out=$("$OBOL" vendor init --dir "$T/$1" --issuer "$issuer_URL")
  "$OBOL" issuer vendor add --db "$DB" --name "$1" --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$T/$1/vendor.cert" >/dev/null &&
  "$OBOL" vendor payword setup --dir "$T/$1" --mode generic --report almost-online >/dev/null &&
  printf 'The news of the day.\n' >"$T/article.txt" &&
  "$OBOL" vendor payword product --dir "$T/$1" --id article-1 --price EUR:0.02 --file "$T/article.txt" >/dev/null &&
  start "$1" vendor serve --dir "$T/$1" --issuer "$issuer_URL" --listen 127.0.0.1:0 --http 127.0.0.1:0
}
pw_vendor shopa && pw_vendor shopb || fail json_payword_vendors
user ivan && "$OBOL" wallet payword register --wallet "$T/ivan.wallet" --username ivan >/dev/null &&
"$OBOL" wallet payword buy-tokens --wallet "$T/ivan.wallet" --tokens 10 >/dev/null || fail json_payword_tokens
cp "$T/ivan.wallet" "$T/ivan-copy.wallet"
"$OBOL" wallet payword buy --wallet "$T/ivan.wallet" --vendor "$shopa_ADDR" --product article-1 >/dev/null \
  || fail json_payword_buy
"$OBOL" wallet payword show --wallet "$T/ivan.wallet" --json >"$T/pshow.json"
jis json_payword_show "$T/pshow.json" \
  'd["user"], [(c["vendor_id"], c["next"], c["unspent_tokens"], c["unspent"]) for c in d["certificates"]], [(p["product"], p["auth"] > 0) for p in d["purchases"]], d["pending_buy"]' \
  "('ivan', [(None, 3, 8, 'EUR:0.08')], [('article-1', True)], False)"
"$OBOL" wallet payword buy --wallet "$T/ivan-copy.wallet" --vendor "$shopb_ADDR" --product article-1 >/dev/null 2>&1
for i in $(seq 1 100); do
  "$OBOL" issuer payword evidence --db "$DB" --json >"$T/pev.json"
  [ "$(jget "$T/pev.json" 'd["count"]')" = 0 ] || break; sleep 0.1
done
jis json_payword_evidence "$T/pev.json" \
  'd["count"], [(x["kind"], x["culprit"], len(x["evidence"]) > 0) for x in d["evidence"]]' \
  "(1, [('user-double-spend', 'user $(acct_id ivan)', True)])"
"$OBOL" issuer payword review --db "$DB" --json >"$T/preview.json"
jis json_payword_review "$T/preview.json" 'd["review"], d["debt"], len(d["claims"]) == d["review"] + d["debt"]' \
  "(0, 0, True)"
jerr json_payword_review_unknown_claim 1 NOT_FOUND "$OBOL" issuer payword review --db "$DB" --claim 99 --pay --json

# config show: each value in force and where it came from, a password as ***
printf '[serve]\nthreads = 3\n' >"$T/issuer.conf"
"$OBOL" issuer config show --config "$T/issuer.conf" --db 'postgresql://u:secret@h/db' --batch 32 --json >"$T/conf.json"
jis json_config_show "$T/conf.json" \
  'd["config"] == "'"$T/issuer.conf"'", d["command"], [(s["key"], s["value"], s["from"].replace("'"$T"'", "T")) for s in d["settings"] if s["key"] in ("db", "batch", "threads", "console")]' \
  "(True, 'obol issuer serve', [('db', 'postgresql://u:***@h/db', 'flag'), ('batch', '32', 'flag'), ('threads', '3', 'T/issuer.conf:2'), ('console', None, 'unset')])"
"$OBOL" vendor config show --no-config --for init --json >"$T/vconf.json"
jis json_vendor_config_show "$T/vconf.json" 'd["config"], d["config_present"], d["command"], "dir" in [s["key"] for s in d["settings"]]' \
  "(None, False, 'obol vendor init', True)"
jerr json_config_show_bad_for 2 USAGE "$OBOL" issuer config show --for nothing --json

"$OBOL" version --json >"$T/version.json"
jis json_version "$T/version.json" '"obol %s (protocol %d; OpenSSL %s; libsodium %s)" % (d["obol"], d["protocol"], d["openssl"], d["libsodium"])' \
  "$("$OBOL" version)"

# a command that prints no data does not take --json
rc=0; "$OBOL" wallet codex sync --wallet "$T/frank.wallet" --json >/dev/null 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown option" "$T/err" && pass json_only_where_offered || fail json_only_where_offered "exit $rc"
stop issuer
jerr json_wallet_account_unreachable 1 NETWORK "$OBOL" wallet account "${W[@]}" --json

# a broken ledger: the audit says FAILED, names its problems, exits 1
sqlite3 "$T/issuer.db" "UPDATE accounts SET balance = balance + 100 WHERE name = 'alice'"
rc=0; "$OBOL" audit --db "$DB" --json >"$T/bad.json" || rc=$?
jis json_audit_failed "$T/bad.json" 'd["verdict"], d["problems"] > 0, any(i["kind"] == "problem" for i in d["items"])' \
  "('FAILED', True, True)"
[ $rc = 1 ] && pass json_audit_failed_exit_1 || fail json_audit_failed_exit_1 "exit $rc"
