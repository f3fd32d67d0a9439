#!/usr/bin/env bash
# A man in the middle of the device link (tests/attack/link_mitm.c) between a
# coupon wallet and the vendor daemon, the issuer over HTTPS. Passive, it
# reads nothing useful: no frame in clear, not the vendor's name nor its
# price. Active, it changes nothing: a flipped bit, a replayed, reordered or
# dropped record, a downgrade to the plain version 1, an impostor with the
# genuine certificate but without its key: each ends the link with its named
# error at the wallet (and, for what the vendor received, in the vendor's
# log), nothing is paid that the wallet did not authorise, and the audit holds.
. "$(dirname "$0")/lib.sh"

DB=sqlite:$T/issuer.db
W=$T/alice.wallet
audit_ok() { "$OBOL" audit --db "$DB" 2>&1 | tail -n 1 | grep -qx 'audit: OK'; }
balance() { "$OBOL" issuer account show --db "$DB" --account "$1" | sed -n 's/^balance: //p'; }
# mitm NAME MODE ARGS...: a fresh man in the middle (the last one stopped).
mitm() {
  [ -n "${E2E_PIDS[mitm]:-}" ] && stop mitm
  : >"$T/mitm.log"
  start_attack mitm link-mitm --vendor "$vendor_ADDR" --cert-dir "$T/shop" --mode "$@"
}
# pay_expect CASE ERROR: a payment through the man in the middle fails with ERROR.
pay_expect() {
  expect_error "$2" "$OBOL" wallet pay --wallet "$W" --vendor "$mitm_ADDR" --units 100 && pass "$1" || fail "$1"
}
# mitm_said KEY VALUE: the attack's own account of what it did (it ends by
# itself after its one connection).
mitm_said() {
  local i
  for i in $(seq 1 100); do kill -0 "$mitm_PID" 2>/dev/null || break; sleep 0.05; done
  stop mitm
  [ "$(field "$1" "$(cat "$T/mitm.log")")" = "$2" ]
}

tls_cert issuer || { fail throwaway_certificate; exit 1; }
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 --coupon-lock-max 600 >/dev/null
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --tls-cert "$T/issuer.crt" --tls-key "$T/issuer.key" \
  || { fail issuer_serve; exit 1; }
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --issuer-ca "$T/issuer.crt" --account alice \
  | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:5 >/dev/null
out=$("$OBOL" vendor init --dir "$T/shop" --issuer "$issuer_URL" --issuer-ca "$T/issuer.crt")
"$OBOL" issuer vendor add --db "$DB" --name cornershop --vendor-key "$(field vendor-key "$out")" \
  --box-key "$(field box-key "$out")" --out "$T/shop/vendor.cert" >/dev/null
start vendor vendor serve --dir "$T/shop" --issuer "$issuer_URL" --listen 127.0.0.1:0 --price EUR:0.003 \
  || { fail vendor_serve; exit 1; }
"$OBOL" wallet withdraw --wallet "$W" >/dev/null

# Passive: the payment goes through, and the man in the middle saw records only.
mitm watch --look-for cornershop --look-for EUR:0.003
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$mitm_ADDR" --units 100 2>&1)
grep -q '^receipt: 100 unit(s)' <<<"$out" && pass payment_through_a_watching_mitm \
  || fail payment_through_a_watching_mitm "$out"
mitm_said deviated no
log=$(cat "$T/mitm.log")
[ "$(field records_w2v "$log")" -gt 100 ] 2>/dev/null && pass mitm_saw_the_records || fail mitm_saw_the_records "$log"
[ "$(field frames_in_clear "$log")" = 0 ] && pass mitm_reads_no_frame || fail mitm_reads_no_frame "$log"
[ "$(field seen_cornershop "$log")" = no ] && pass mitm_reads_no_certificate || fail mitm_reads_no_certificate "$log"
[ "$(field seen_EUR:0.003 "$log")" = no ] && pass mitm_reads_no_price || fail mitm_reads_no_price "$log"

# Active, before the wallet hands over anything: the first record each way.
mitm flip --dir w2v --at 0
pay_expect flipped_bit_to_vendor_refused DEVLINK_TAMPERED
mitm_said deviated yes && grep -q 'DEVLINK_TAMPERED' "$T/vendor.log" && pass vendor_names_the_flipped_bit \
  || fail vendor_names_the_flipped_bit
mitm flip --dir v2w --at 0
pay_expect flipped_bit_to_wallet_refused DEVLINK_TAMPERED
mitm downgrade
pay_expect downgrade_to_version_1_refused DEVLINK_OLD_PEER
mitm impostor
pay_expect impostor_with_its_own_key_refused DEVLINK_IMPOSTOR
mitm impostor-key
pay_expect impostor_with_the_certified_key_refused DEVLINK_HANDSHAKE

# Active, mid-session (a fresh coin each time: a coin whose PAY left the
# device stays set aside by the wallet until its lock deadline).
"$OBOL" wallet withdraw --wallet "$W" >/dev/null
mitm replay --dir w2v --at 0
pay_expect replayed_record_refused DEVLINK_REPLAYED
grep -q 'DEVLINK_REPLAYED' "$T/vendor.log" && pass vendor_names_the_replay || fail vendor_names_the_replay
"$OBOL" wallet withdraw --wallet "$W" >/dev/null
mitm reorder --dir v2w --at 1
pay_expect reordered_records_refused DEVLINK_OUT_OF_ORDER
"$OBOL" wallet withdraw --wallet "$W" >/dev/null
mitm drop --dir v2w --at 1
pay_expect dropped_record_refused DEVLINK_OUT_OF_ORDER

# A version 1 wallet at the real vendor: told WIRE_VERSION in its own version.
exec 3<>"/dev/tcp/${vendor_ADDR%:*}/${vendor_ADDR##*:}"
printf '\x00\x00\x00\x06\x83\x10\x01\xa1\x01\x05' >&3
timeout 3 cat <&3 >"$T/v1.out"; exec 3<&-
grep -q WIRE_VERSION "$T/v1.out" && pass version_1_wallet_refused_by_name || fail version_1_wallet_refused_by_name

# Nothing paid that the wallet did not authorise: the watched payment (100
# units at EUR:0.003) and at most the lock token (one token, EUR:0.001) of
# each of the three sessions cut after PAY; the vendor is still there for an
# honest payment; the books balance.
b=$(balance cornershop)
case $b in EUR:0.3|EUR:0.301|EUR:0.302|EUR:0.303) pass vendor_credited_only_what_was_authorised ;;
  *) fail vendor_credited_only_what_was_authorised "$b" ;; esac
"$OBOL" wallet withdraw --wallet "$W" >/dev/null
out=$("$OBOL" wallet pay --wallet "$W" --vendor "$vendor_ADDR" --units 10 2>&1)
grep -q '^receipt: 10 unit(s)' <<<"$out" && pass honest_payment_after_the_attacks || fail honest_payment_after_the_attacks "$out"
audit_ok && pass audit_after_mitm || fail audit_after_mitm
