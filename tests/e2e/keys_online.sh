#!/usr/bin/env bash
# Revoking a leaked online signing key with real commands
# (docs/operations.md "Revoking an online key"): `issuer keys revoke` queues
# the revocation, the next export draws a replacement, both go through the
# ceremony; then the key set GET /keys carries names the key revoked and a
# wallet pinning the master key still verifies it all. And what to monitor:
# `issuer keys list` says how far the signed online keys reach and warns
# when they run short, under the test clock (src/core/clock.h).
. "$(dirname "$0")/lib.sh"

export OBOL_TEST_CLOCK=$T/clock
set_clock() { echo "$1" >"$OBOL_TEST_CLOCK.new" && mv "$OBOL_TEST_CLOCK.new" "$OBOL_TEST_CLOCK"; }
set_clock 0
DB=sqlite:$T/issuer.db
ceremony() {
  "$OBOL" issuer keys export-requests --db "$DB" --out "$T/req.json" >"$T/export.out" 2>&1 &&
  "$OBOL" offline sign --master-key "$T/master.key" --in "$T/req.json" --out "$T/sig.json" >/dev/null 2>&1 &&
  "$OBOL" issuer keys import --db "$DB" --in "$T/sig.json" >/dev/null 2>&1
}

"$OBOL" issuer init --db "$DB" --currency EUR --master-key "$T/master.key" --no-ceremony >/dev/null
ceremony || { fail first_ceremony "$(cat "$T/export.out")"; exit 1; }
list=$("$OBOL" issuer keys list --db "$DB")
days=$(sed -n 's/^online-keys-cover-until: .* (\([0-9]*\) days)$/\1/p' <<<"$list")
[ "$days" -ge 120 ] && ! grep -q '^warning' <<<"$list" && pass list_says_how_far_keys_reach \
  || fail list_says_how_far_keys_reach "$list"
leaked=$(sed -n 's/^serial 1: in-use online key \([0-9a-f]*\) .*/\1/p' <<<"$list")
[ -n "$leaked" ] || { fail first_key_listed "$list"; exit 1; }

expect_error KEY_NOT_ANNOUNCED "$OBOL" issuer keys revoke --db "$DB" 0123456789abcdef \
  && pass unknown_key_id_refused || fail unknown_key_id_refused
out=$("$OBOL" issuer keys revoke --db "$DB" 0123 2>&1); rc=$?
[ $rc = 2 ] && grep -q 'KEY_ID is 16 to 64 hex digits' <<<"$out" && pass short_key_id_refused \
  || fail short_key_id_refused "$rc $out"
out=$("$OBOL" issuer keys revoke --db "$DB" "$leaked" 2>&1)
[ "$(field new-requests "$out")" = 1 ] && [ -n "$(field from "$out")" ] && grep -q "^revoked-key: $leaked" <<<"$out" \
  && pass revoke_queued || fail revoke_queued "$out"
out=$("$OBOL" issuer keys revoke --db "$DB" "$leaked" 2>&1)
[ "$(field new-requests "$out")" = 0 ] && pass revoke_again_queues_nothing || fail revoke_again_queues_nothing "$out"

ceremony || { fail revocation_ceremony "$(cat "$T/export.out")"; exit 1; }
# the revocation and a replacement from now went through the ceremony
[ "$(field new-requests "$(cat "$T/export.out")")" = 1 ] && [ "$(field requests "$(cat "$T/export.out")")" = 2 ] \
  && pass replacement_drawn_with_the_revocation || fail replacement_drawn_with_the_revocation "$(cat "$T/export.out")"
list=$("$OBOL" issuer keys list --db "$DB")
# (serials 3 and 4: the default coupon denomination and the ecash bank key)
grep -q '^serial 1: revoked online key '"$leaked" <<<"$list" \
  && grep -q '^serial 5: in-force revocation key '"$leaked" <<<"$list" && grep -q '^serial 6: in-use online' <<<"$list" \
  && ! grep -q '^warning' <<<"$list" && pass list_shows_revocation_and_replacement \
  || fail list_shows_revocation_and_replacement "$list"

start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
kinds=$(curl -sf "$issuer_URL/keys" | python3 -c '
import json, sys, base64
for t in json.load(sys.stdin)["keys"]["announcements"]:
    b = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
    print(b[2])  # CBOR map header, key 1, then the kind
')
[ "$(grep -c '^4$' <<<"$kinds")" = 1 ] && pass keys_document_carries_revocation \
  || fail keys_document_carries_revocation "$kinds"
check wallet_verifies_keys_with_revocation "$OBOL" wallet init --wallet "$T/w.wallet" --issuer "$issuer_URL" \
  --account alice
stop issuer

# Monitoring: 160 days on, the signed keys reach under 30 days ahead.
set_clock $((160 * 86400))
list=$("$OBOL" issuer keys list --db "$DB")
grep -q '^warning: the signed online keys run out in [0-9]* days' <<<"$list" && pass list_warns_keys_run_short \
  || fail list_warns_keys_run_short "$list"
set_clock $((400 * 86400))
list=$("$OBOL" issuer keys list --db "$DB")
grep -q '^warning: no signed online key holds now' <<<"$list" && pass list_warns_no_key_holds_now \
  || fail list_warns_no_key_holds_now "$list"
