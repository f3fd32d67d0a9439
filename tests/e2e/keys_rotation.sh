#!/usr/bin/env bash
# Coupon denomination keys rotate on their windows (docs/operations.md
# "Windows"), under the test clock (src/core/clock.h): one denomination
# EUR:1 of 100 tokens whose keys issue for 100 days, are spent for 150 and
# refunded until day 350 of each key. The key plan draws each successor
# within its 120-day lookahead and the ceremony (export-requests, offline
# sign, import) announces it before it issues; the daemons restart on the
# new keys. Three wallets hold coins under each key: alice and bob spend,
# hold and refund across two rotations with their value intact; carol keeps
# a coin past its key's legal end and is refused by name.
. "$(dirname "$0")/lib.sh"

export OBOL_TEST_CLOCK=$T/clock
set_clock() { echo "$1" >"$OBOL_TEST_CLOCK.new" && mv "$OBOL_TEST_CLOCK.new" "$OBOL_TEST_CLOCK"; }
DAY=86400
day() { set_clock $(($1 * DAY)); }
DB=sqlite:$T/issuer.db

audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
held() { "$OBOL" wallet balance --wallet "$T/$1.wallet" | sed -n 's/^coupon balance: \([^ ]*\).*/\1/p'; }
# the denomination ids of a wallet's coins with tokens left, sorted
denoms() { "$OBOL" wallet coins --wallet "$T/$1.wallet" --json \
  | python3 -c 'import json,sys; print(" ".join(sorted(str(c["denom"]) for c in json.load(sys.stdin)["coins"] if c["tokens_left"] > 0)))'; }
keys_ids() { curl -sf "$issuer_URL/keys" | python3 -c 'import json,sys; print(" ".join(str(d["id"]) for d in json.load(sys.stdin)["keys"]["coupon"]["denoms"]))'; }
# The ceremony: what the plan requests, signed with the offline master key, imported.
export_requests() { "$OBOL" issuer keys export-requests --db "$DB" --out "$T/req-$1.json" 2>&1; }
sign_import() {
  "$OBOL" offline sign --master-key "$T/master.key" --in "$T/req-$1.json" --out "$T/sig-$1.json" >/dev/null \
    && "$OBOL" issuer keys import --db "$DB" --in "$T/sig-$1.json" >/dev/null \
    && [ "$("$OBOL" issuer keys list --db "$DB" | grep -c ': unsigned ')" = 0 ]
}
ceremony() { local out; out=$(export_requests "$1") && sign_import "$1" && echo "$out"; }
denom_keys() { sqlite3 "$T/issuer.db" 'SELECT COUNT(*) FROM coupon_denoms'; }

day 0
check issuer_init "$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,100,100,150,200 \
  --coupon-rsa-bits 1024 --master-key "$T/master.key" --no-ceremony
# Key 1 stops issuing at day 100, within the lookahead: its successor is drawn and announced now.
out=$(ceremony 0) && [ "$(denom_keys)" = 2 ] && pass ceremony_draws_the_successor_ahead \
  || fail ceremony_draws_the_successor_ahead "$out"
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
[ "$(keys_ids)" = "1 2" ] && pass keys_lists_the_next_key || fail keys_lists_the_next_key "$(keys_ids)"
for u in alice bob carol; do
  KEY=$("$OBOL" wallet init --wallet "$T/$u.wallet" --issuer "$issuer_URL" --account $u | sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$DB" --kind user --name $u --auth-key "$KEY" >/dev/null
  "$OBOL" issuer fund --db "$DB" --account $u --amount EUR:10 >/dev/null
done
out=$("$OBOL" vendor init --dir "$T/v" --issuer "$issuer_URL")
"$OBOL" issuer vendor add --db "$DB" --name vendor --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --valid-days 1000 --out "$T/v/vendor.cert" >/dev/null
start vendor vendor serve --dir "$T/v" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.01 \
  || { fail vendor_serve; exit 1; }
pay() { "$OBOL" wallet pay --wallet "$T/$1.wallet" --vendor "$vendor_ADDR" --units "$2" 2>&1; }

# Before key 2's valid_from every withdrawal is under key 1, even one that names key 2.
check withdraw_key1 "$OBOL" wallet withdraw --wallet "$T/alice.wallet" --count 2
check withdraw_key1_bob "$OBOL" wallet withdraw --wallet "$T/bob.wallet" --count 2 --denom 2
check withdraw_key1_carol "$OBOL" wallet withdraw --wallet "$T/carol.wallet"
[ "$(denoms alice)" = "1 1" ] && [ "$(denoms bob)" = "1 1" ] && pass withdraw_before_successor_under_old_key \
  || fail withdraw_before_successor_under_old_key "$(denoms alice) / $(denoms bob)"
out=$(pay alice 30) && pass pay_key1 || fail pay_key1 "$out"

# Day 90: key 2 stops at day 200, within the lookahead: key 3 is drawn and announced.
# Until the ceremony signs it, the drawn key is neither listed nor issued under.
day 90
out=$(export_requests 1) && [ "$(denom_keys)" = 3 ] && pass second_successor_drawn || fail second_successor_drawn "$out"
restart issuer
[ "$(keys_ids)" = "1 2" ] && pass unannounced_key_not_listed || fail unannounced_key_not_listed "$(keys_ids)"
sign_import 1 && restart issuer && restart vendor
[ "$(keys_ids)" = "1 2 3" ] && pass announced_key_listed_ahead || fail announced_key_listed_ahead "$(keys_ids)"
# Day 101: key 2 issues; a coin under key 1 is still spent (until day 150).
day 101
check withdraw_key2 "$OBOL" wallet withdraw --wallet "$T/alice.wallet"
[ "$(denoms alice)" = "1 1 2" ] && pass withdraw_under_successor || fail withdraw_under_successor "$(denoms alice)"
out=$(pay bob 40) && pass old_key_coin_spent_after_successor_issues || fail old_key_coin_spent_after_successor_issues "$out"
audit_ok && pass audit_first_rotation || fail audit_first_rotation

# Day 151: key 1 is past its acceptance: its coins are refunded, not spent.
day 151
expect_error COUPON_NO_COIN "$OBOL" wallet pay --wallet "$T/bob.wallet" --vendor "$vendor_ADDR" --units 1 \
  && pass old_key_coin_not_spent_after_accept_until || fail old_key_coin_not_spent_after_accept_until
out=$("$OBOL" wallet refund --wallet "$T/bob.wallet" 2>&1)
[ "$(field refunded "$out")" = "2 coin(s)" ] && [ "$(balance bob)" = "EUR:9.6" ] && [ "$(held bob)" = "EUR:0" ] \
  && pass old_key_coins_refunded || fail old_key_coins_refunded "$out / $(balance bob) $(held bob)"
out=$("$OBOL" wallet refund --wallet "$T/bob.wallet" 2>&1)
[ "$(field refunded "$out")" = "0 coin(s)" ] && [ "$(balance bob)" = "EUR:9.6" ] \
  && pass refund_once || fail refund_once "$out / $(balance bob)"
out=$(pay alice 50)
grep -q '^paid: 50 unit(s)' <<<"$out" && pass successor_coin_spent || fail successor_coin_spent "$out"

# Day 190: key 3 stops issuing at day 300, within the lookahead: key 4 is drawn and announced.
day 190
out=$(ceremony 2) && [ "$(denom_keys)" = 4 ] && pass third_successor_drawn || fail third_successor_drawn "$out"
restart issuer && restart vendor
day 201
check withdraw_key3 "$OBOL" wallet withdraw --wallet "$T/alice.wallet"
out=$("$OBOL" wallet coins --wallet "$T/alice.wallet" --json)
python3 -c 'import json,sys; d=sorted(c["denom"] for c in json.load(sys.stdin)["coins"]); sys.exit(d != [1,1,2,3])' <<<"$out" \
  && pass second_rotation_withdraw_under_key3 || fail second_rotation_withdraw_under_key3 "$out"
out=$(pay alice 20) && pass pay_across_second_rotation || fail pay_across_second_rotation "$out"
audit_ok && pass audit_second_rotation || fail audit_second_rotation

# Day 260: key 1's and key 2's coins are past acceptance; alice refunds them, keeps key 3's.
day 260
out=$("$OBOL" wallet refund --wallet "$T/alice.wallet" 2>&1)
[ "$(field refunded "$out")" = "3 coin(s)" ] && pass alice_refunds_keys_1_and_2 || fail alice_refunds_keys_1_and_2 "$out"
# alice: EUR:10 funded, 4 coins withdrawn, 100 units spent, 3 coins' rests refunded, key 3's coin held
a_bal=$(balance alice) a_held=$(held alice) v_bal=$(balance vendor)
python3 - "$a_bal" "$a_held" "$v_bal" <<'PY' && pass alice_value_intact || fail alice_value_intact "$a_bal $a_held $v_bal"
import sys
from decimal import Decimal as D
a, h, v = (D(x.split(":")[1]) for x in sys.argv[1:])
# alice paid 30 + 50 + 20 units, bob 40; each unit EUR:0.01
sys.exit(not (a + h + D("1.00") == D(10) and v == D("1.40")))
PY

# Day 351: key 1 is past its legal end: carol's coin is refused by name, nothing moves.
day 351
c_bal=$(balance carol)
expect_error COUPON_REFUND_LEGAL_END "$OBOL" wallet refund --wallet "$T/carol.wallet" \
  && [ "$(balance carol)" = "$c_bal" ] && pass refund_after_legal_end_refused || fail refund_after_legal_end_refused
audit_ok && pass audit_at_end || fail audit_at_end
