# Helpers of the payer's end-to-end scripts (tests/e2e/payer_*.sh), sourced
# after lib.sh: those of tests/lib/parties.bash (user, certify, audit_ok),
# and, with CHEAT_VENDOR (the vendor daemon's device-link address) and
# CHEAT_DIR (its directory: the cheat answers with its keys) set:
#   cheat ARGS...   a fresh vendor cheating its payer in front of the daemon
#                   (tests/attack/payer_vendor.c, named "cheat": $cheat_ADDR),
#                   with ARGS (--mode MODE [--price P] [--count N])
#   cheat_said KEY  the cheat's account of KEY after the link(s) it served:
#                   waits for its first account, then takes the last one
. "$E2E_ROOT/tests/lib/parties.bash"
cheat() {
  [ -n "${E2E_PIDS[cheat]:-}" ] && stop cheat
  : >"$T/cheat.log"
  start_attack cheat payer-vendor --vendor "$CHEAT_VENDOR" --dir "$CHEAT_DIR" "$@"
}
cheat_said() {
  local i
  for i in $(seq 1 200); do grep -q '^deviated: ' "$T/cheat.log" && break; sleep 0.05; done
  sed -n "s/^$1: //p" "$T/cheat.log" | tail -n 1
}
