#!/usr/bin/env bash
# The published test vectors (tests/vectors/obol/<file>.json, RFC 9474's in
# tests/vectors/rfc9474.txt) checked by an implementation that is not obol's:
# tests/vectors/verify.py rebuilds every signed byte string from the inputs
# after the layouts of docs/protocol.md ("Signed bytes") and verifies each
# signature and hash with python3-nacl, python3-cryptography and
# python3-cbor2. Then the same check must refuse altered copies.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
VERIFY=$E2E_ROOT/tests/vectors/verify.py
if ! "$PY" -c 'import nacl, cryptography, cbor2' 2>/dev/null; then
  fail vectors_python_modules "python3-nacl, -cryptography or -cbor2 is missing: scripts/deps.sh check installs them"
  exit 1
fi

# Every vector, one PASS or FAIL line each.
"$PY" "$VERIFY" >"$T/verify.out" 2>&1
grep -E '^(PASS|FAIL) ' "$T/verify.out" | sed 's/^\(PASS\|FAIL\) /\1 vectors:/'
grep -q '^vectors: [0-9]* checked, 0 failed$' "$T/verify.out" || fail vectors_summary "$(tail -n 3 "$T/verify.out")"

# Altered copies: an input, a recorded signed byte string, a signature.
tamper() { # NAME FILE PYTHON-EXPR-ON-v   (v: the first vector of FILE whose name is NAME)
  local case=$1 file=$2 vec=$3 expr=$4 dir=$T/$1
  mkdir -p "$dir" && cp "$E2E_ROOT"/tests/vectors/obol/*.json "$dir"/
  "$PY" - "$dir/$file.json" "$vec" "$expr" <<'PYEOF'
import json, sys
path, name, expr = sys.argv[1:]
doc = json.load(open(path))
v = next(x for x in doc["vectors"] if x["name"] == name)
def flip(hexstr, at=10):
    b = bytearray.fromhex(hexstr); b[at] ^= 1; return b.hex()
exec(expr)
json.dump(doc, open(path, "w"), indent=1)
PYEOF
  if OBOL_VECTORS_DIR=$dir "$PY" "$VERIFY" >"$dir.out" 2>&1; then
    fail "$case" "the altered copy passed"
  elif grep -q "^FAIL $file/$vec: " "$dir.out"; then
    pass "$case"
  else
    fail "$case" "$(grep '^FAIL' "$dir.out" | head -n 3)"
  fi
}
tamper vectors_refuse_changed_input coupon coupon-lock-reply 'v["inputs"]["index"] += 1'
tamper vectors_refuse_changed_signed_bytes ecash ecash-claim-first 'v["signed_bytes"] = flip(v["signed_bytes"])'
tamper vectors_refuse_changed_signature common vendor-certificate 'v["sig"]["hex"] = flip(v["sig"]["hex"])'
tamper vectors_refuse_changed_settle_flags coupon coupon-settle-reply 'v["inputs"]["locked"] = False'
tamper vectors_refuse_changed_receipt_amount common payment-receipt 'v["inputs"]["amount"] = "EUR:0.26"'
tamper vectors_refuse_uncanonical_receipt_amount common payment-receipt 'v["inputs"]["amount"] = "EUR:0.250"'
tamper vectors_refuse_changed_ring_signature ecash ecash-claim-ring 'v["sig"]["hex"] = flip(v["sig"]["hex"], 700)'
