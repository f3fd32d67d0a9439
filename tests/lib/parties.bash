# The parties the payer's and the device link's end-to-end scripts set up
# (tests/e2e/payer_*.sh through payer_lib.bash, tests/e2e/link_interop.sh),
# sourced after tests/e2e/lib.sh, with DB (the issuer's database URL) and
# issuer_URL set:
#   user NAME WALLET [FUND]  'wallet init' of WALLET with an account NAME at
#                            the issuer (the wallet's account key), funded
#                            with FUND when given
#   certify DIR NAME         'vendor init' in DIR and the issuer's certificate
#                            for it under NAME, in DIR/vendor.cert
#   audit_ok                 'obol audit' ends "audit: OK"
user() {
  local out
  out=$("$OBOL" wallet init --wallet "$2" --issuer "$issuer_URL" --account "$1") || return 1
  "$OBOL" issuer account add --db "$DB" --kind user --name "$1" --auth-key "$(field account-key "$out")" \
    >/dev/null || return 1
  if [ -n "${3:-}" ]; then "$OBOL" issuer fund --db "$DB" --account "$1" --amount "$3" >/dev/null || return 1; fi
}
certify() {
  local out
  out=$("$OBOL" vendor init --dir "$1" --issuer "$issuer_URL") || return 1
  "$OBOL" issuer vendor add --db "$DB" --name "$2" --vendor-key "$(field vendor-key "$out")" \
    --box-key "$(field box-key "$out")" --out "$1/vendor.cert" >/dev/null
}
audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
