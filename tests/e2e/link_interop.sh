#!/usr/bin/env bash
# The device link against an independent Noise implementation:
# tests/interop/devlink_noise.py on dissononce (Debian's python3-dissononce),
# as the wallet against `obol vendor serve` and as the vendor for
# `obol wallet pay`.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/lib/parties.bash"

PY=/usr/bin/python3
INTEROP=$E2E_ROOT/tests/interop/devlink_noise.py
DB=sqlite:$T/issuer.db
W=$T/alice.wallet

if ! "$PY" -c 'import dissononce' 2>/dev/null; then
  fail dissononce_installed "python3-dissononce is missing: scripts/deps.sh check installs it"; exit 1
fi
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-lock-max 600 >/dev/null
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
user alice "$W" EUR:1
certify "$T/shop" shop
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 || { fail vendor_serve; exit 1; }

# dissononce as the wallet, obol as the vendor.
out=$("$PY" "$INTEROP" wallet "$vendor_ADDR" "$T/shop" 2>&1)
grep -q '^ok: the handshake proves the vendor' <<<"$out" && pass dissononce_wallet_handshake \
  || fail dissononce_wallet_handshake "$out"
grep -q '^ok: message 2 carries the vendor certificate' <<<"$out" && pass dissononce_wallet_reads_the_certificate \
  || fail dissononce_wallet_reads_the_certificate "$out"
[ "$(grep -c 'is answered WIRE_UNKNOWN_TYPE' <<<"$out")" = 2 ] && pass dissononce_wallet_frames_both_ways \
  || fail dissononce_wallet_frames_both_ways "$out"
grep -q 'flipped bit is answered DEVLINK_TAMPERED' <<<"$out" && pass dissononce_wallet_tampering_named \
  || fail dissononce_wallet_tampering_named "$out"

# dissononce as the vendor (the same certified keys), obol as the wallet.
stop vendor
"$OBOL" wallet withdraw --wallet "$W" >/dev/null
"$PY" "$INTEROP" vendor 127.0.0.1:0 "$T/shop" >"$T/py.log" 2>&1 &
PYPID=$!
for i in $(seq 1 100); do grep -q '^listening on ' "$T/py.log" && break; sleep 0.05; done
PYADDR=$(sed -n 's/^listening on //p' "$T/py.log")
expect_error NOT_FOUND "$OBOL" wallet pay --wallet "$W" --vendor "$PYADDR" --units 1 \
  && pass obol_wallet_takes_the_named_refusal || fail obol_wallet_takes_the_named_refusal "$(cat "$T/py.log")"
wait "$PYPID"; rc=$?
grep -q '^ok: the wallet.s handshake completes' "$T/py.log" && pass obol_wallet_handshake_with_dissononce \
  || fail obol_wallet_handshake_with_dissononce "$(cat "$T/py.log")"
grep -q '^ok: the wallet.s first frame is a coupon BUY, version 2' "$T/py.log" && [ $rc -eq 0 ] \
  && pass dissononce_vendor_reads_the_wallet || fail dissononce_vendor_reads_the_wallet "$(cat "$T/py.log")"
