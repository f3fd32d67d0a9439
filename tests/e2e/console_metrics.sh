#!/usr/bin/env bash
# /metrics of the issuer and the vendor, read with the Prometheus project's
# own parser (tests/lib/prom_query.py): requests by route and answer code
# with their latency histograms, group-commit batches, each scheme's
# liability and the ledger's figures, keys' and the certificate's remaining
# validity, today's sales, the outbox's depth, age and attempts while the
# issuer is down and after; a bearer token when one is set; every series
# the Grafana dashboard (contrib/grafana/obol.json) queries.
. "$(dirname "$0")/lib.sh"

PROM=$E2E_ROOT/tests/lib/prom_query.py
if ! /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
  fail prometheus_parser_installed "python3-prometheus-client is missing: scripts/deps.sh check installs it"
  exit 1
fi
DB=sqlite:$T/issuer.db
export OBOL_CONSOLE_PASSWORD='console metrics password'
"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --console 127.0.0.1:0 || { fail issuer_serve; exit 1; }
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name shop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$T/metrics.token"
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --console 127.0.0.1:0 \
  --metrics-token-file "$T/metrics.token" || { fail vendor_serve; exit 1; }
TOKEN=$(cat "$T/metrics.token")

# scrape NAME URL [CURL-ARGS...]: $T/NAME.prom, checked by the parser
scrape() {
  local name=$1 url=$2; shift 2
  curl -s -f -o "$T/$name.prom" "$@" "$url/metrics" && "$PROM" "$T/$name.prom"
}
# is NAME QUERY WANT: the sample's value is WANT (a float as Python prints it)
is() {
  local got
  got=$("$PROM" "$T/$1.prom" "$2" 2>&1)
  [ "$got" = "$3" ] && return 0
  echo "$2: got $got, want $3"; return 1
}
# positive NAME QUERY: the sample's value is above 0
positive() {
  local got
  got=$("$PROM" "$T/$1.prom" "$2" 2>&1)
  /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "$got" 2>/dev/null && return 0
  echo "$2: got $got, want > 0"; return 1
}

# alice withdraws a coupon coin of EUR:1 and pays 300 tokens to the shop;
# she registers for e-cash and takes EUR:2 of it; one withdrawal is refused
W=(--wallet "$T/alice.wallet")
KEY=$("$OBOL" wallet init "${W[@]}" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:10 >/dev/null
{ "$OBOL" wallet withdraw "${W[@]}" --count 1 &&
  "$OBOL" wallet pay "${W[@]}" --vendor "$vendor_ADDR" --units 300 &&
  "$OBOL" wallet ecash register "${W[@]}" &&
  "$OBOL" wallet ecash topup "${W[@]}" --amount EUR:2 --coin EUR:1 &&
  "$OBOL" wallet ecash refresh "${W[@]}"; } >"$T/setup.log" 2>&1 \
  && pass metrics_setup || { fail metrics_setup "$(tail -n 3 "$T/setup.log")"; exit 1; }
curl -s -o /dev/null -X POST --data-binary 'garbage' "$issuer_URL/coupon/withdraw"

check metrics_issuer_parses scrape issuer "http://$issuer_ADDR2"
R='listener="api",route="/coupon/withdraw",method="POST"'
check metrics_request_by_route_and_code is issuer "obol_http_requests_total{$R,code=\"200\"}" 1.0
check metrics_refusal_by_its_code positive issuer "obol_http_requests_total{$R,code=\"400\"}"
check metrics_latency_histogram_counts_both is issuer "obol_http_request_duration_seconds_count{$R}" 2.0
check metrics_latency_histogram_inf_bucket is issuer "obol_http_request_duration_seconds_bucket{$R,le=\"+Inf\"}" 2.0
check metrics_latency_sum positive issuer "obol_http_request_duration_seconds_sum{$R}"
check metrics_group_commit_batches positive issuer "obol_store_batch_units_count"
check metrics_commit_times positive issuer "obol_store_batch_duration_seconds_sum"
# EUR:1 coin, EUR:0.3 of it settled to the shop; EUR:2 of e-cash
check metrics_coupon_liability is issuer 'obol_ledger_liability{scheme="coupon"}' 0.7
check metrics_ecash_liability is issuer 'obol_ledger_liability{scheme="ecash"}' 2.0
check metrics_users_balance is issuer 'obol_ledger_balance{kind="user"}' 7.0
check metrics_vendors_balance is issuer 'obol_ledger_balance{kind="vendor"}' 0.3
check metrics_in_system is issuer 'obol_ledger_in_system' 10.0
check metrics_coupon_key_remaining positive issuer \
  'obol_key_remaining_seconds{scheme="coupon",key="denom-1",window="withdraw"}'
check metrics_vendor_cert_remaining positive issuer 'obol_vendor_cert_soonest_remaining_seconds'

# the vendor's: a token asked for, the sales, the outbox
curl -s -o "$T/v403" -w '%{http_code}' "http://$vendor_ADDR2/metrics" | grep -qx 403 && grep -q METRICS_FORBIDDEN "$T/v403" \
  && pass metrics_token_required || fail metrics_token_required "$(cat "$T/v403")"
curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" "http://$vendor_ADDR2/metrics" | grep -qx 403 \
  && pass metrics_wrong_token_refused || fail metrics_wrong_token_refused
check metrics_vendor_parses scrape vendor "http://$vendor_ADDR2" -H "Authorization: Bearer $TOKEN"
check metrics_vendor_sales_today is vendor 'obol_vendor_sales_today{scheme="coupon"}' 0.3
check metrics_vendor_payments_today is vendor 'obol_vendor_payments_today{scheme="coupon"}' 1.0
check metrics_vendor_outbox_delivered is vendor 'obol_outbox_rows{state="done"}' 1.0
check metrics_vendor_outbox_attempt_ok is vendor 'obol_outbox_attempts_total{scheme="coupon",result="ok"}' 1.0
check metrics_vendor_cert_remaining_own positive vendor 'obol_vendor_cert_remaining_seconds'

# the issuer down: alice's e-cash payment waits in the outbox, with its age
stop issuer
"$OBOL" wallet ecash pay "${W[@]}" --vendor "$vendor_ADDR" >>"$T/setup.log" 2>&1 \
  || fail metrics_ecash_paid_while_issuer_down "$(tail -n 2 "$T/setup.log")"
# until the vendor has tried the issuer (a retry and the failure counted) and
# the payment has aged a second (at most 30 s)
for _ in $(seq 1 120); do
  scrape vendor "http://$vendor_ADDR2" -H "Authorization: Bearer $TOKEN" >/dev/null 2>&1 &&
    positive vendor 'obol_outbox_attempts_total{scheme="ecash",result="retry"}' >/dev/null &&
    positive vendor 'obol_issuer_last_failure_timestamp_seconds' >/dev/null &&
    positive vendor 'obol_outbox_oldest_pending_age_seconds' >/dev/null && break
  sleep 0.25
done
check metrics_vendor_parses_again scrape vendor "http://$vendor_ADDR2" -H "Authorization: Bearer $TOKEN"
check metrics_outbox_depth is vendor 'obol_outbox_rows{state="pending"}' 1.0
check metrics_outbox_age positive vendor 'obol_outbox_oldest_pending_age_seconds'
check metrics_outbox_retry_counted positive vendor 'obol_outbox_attempts_total{scheme="ecash",result="retry"}'
check metrics_issuer_failure_seen positive vendor 'obol_issuer_last_failure_timestamp_seconds'
restart issuer || fail issuer_restart
for _ in $(seq 1 60); do
  scrape vendor "http://$vendor_ADDR2" -H "Authorization: Bearer $TOKEN" >/dev/null 2>&1 &&
    [ "$("$PROM" "$T/vendor.prom" 'obol_outbox_rows{state="pending"}')" = 0.0 ] && break
  sleep 0.5
done
check metrics_outbox_drained is vendor 'obol_outbox_rows{state="pending"}' 0.0
check metrics_outbox_age_zero is vendor 'obol_outbox_oldest_pending_age_seconds' 0.0
check metrics_outbox_ecash_delivered is vendor 'obol_outbox_attempts_total{scheme="ecash",result="ok"}' 1.0

# every series the Grafana dashboard queries is one the daemons export
missing=$(/usr/bin/python3 - "$E2E_ROOT/contrib/grafana/obol.json" "$T/issuer.prom" "$T/vendor.prom" <<'PY'
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families
exprs = [t["expr"] for p in json.load(open(sys.argv[1]))["panels"] for t in p["targets"]]
used = {n for e in exprs for n in re.findall(r"\bobol_[a-z_]+", e)}
have = {s.name for f in sys.argv[2:] for fam in text_string_to_metric_families(open(f).read()) for s in fam.samples}
print(" ".join(sorted(used - have)) if used else "the dashboard queries nothing")
PY
)
[ -z "$missing" ] && pass metrics_grafana_dashboard_series_exist || fail metrics_grafana_dashboard_series_exist "$missing"

out=$("$OBOL" audit --db "$DB" 2>&1)
printf '%s\n' "$out" | grep -q '^audit: OK' && pass metrics_audit_ok || fail metrics_audit_ok "$out"
