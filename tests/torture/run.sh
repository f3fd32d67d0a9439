#!/usr/bin/env bash
# A hundred kills (issue 16, item 6): the mixed load of tests/torture/lib.sh
# against real daemons, each daemon killed with SIGKILL at random moments
# (the PostgreSQL server with pg_ctl stop -m immediate) and started again;
# after every restart the checks of torture_verify (the audit, every answered
# payout in the ledger exactly once, no account holding more than it was told
# it spent, no vendor outbox row lost), and at the end, once the outbox has
# drained, the vendor holding at least every payment it acknowledged.
#
#   tests/torture/run.sh [--kills N] [--minutes M] [--backend sqlite|postgres|both] [--check]
#     --kills N    SIGKILLs per daemon (default 100)
#     --minutes M  stop killing after M minutes of a backend's run even if
#                  not every daemon has had its N kills (the final checks
#                  still run; the figures say how many kills were made)
#     --backend    SQLite with one issuer, PostgreSQL with two issuer
#                  processes on one database, or both in turn (default both)
#     --check      the bounded run of `make check` (under a minute): SQLite
#                  only, 2 kills per daemon, and a scheme's shortfall at the
#                  vendor that the issuer's refusals explain is a note
# Prints "PASS torture_BACKEND" or "FAIL torture_BACKEND" per backend, then
# the figures: kills per daemon, operations answered and checked, checks run,
# time taken. KEEP=1 keeps the directory of each run.
set -u
cd "$(dirname "$0")/../.."
kills=100
minutes=0
backends=(sqlite postgres)
check=0
while [ $# -gt 0 ]; do
  case $1 in
    --kills) kills=$2; shift ;;
    --minutes) minutes=$2; shift ;;
    --backend) [ "$2" = both ] && backends=(sqlite postgres) || backends=("$2"); shift ;;
    --check) check=1 ;;
    *) echo "usage: $0 [--kills N] [--minutes M] [--backend sqlite|postgres|both] [--check]" >&2; exit 2 ;;
  esac
  shift
done

# One backend in a subshell of its own: its daemons and directory go with it.
run_backend() (
  backend=$1 n=$2
  . tests/e2e/lib.sh
  . tests/lib/pg.sh
  . tests/torture/lib.sh
  if [ "$backend" = postgres ]; then
    pg_start || exit 0
    trap 'e2e_cleanup; pg_stop' EXIT
  fi
  t0=$(date +%s)
  torture_world "$backend" || { fail "torture_$backend" "the world did not start"; exit 1; }
  tw_log "$backend: daemons up in $(($(date +%s) - t0)) s: ${TW_DAEMONS[*]}"
  torture_load_start
  sleep 2
  declare -A killed=()
  bad=0 total=0
  for d in "${TW_DAEMONS[@]}"; do killed[$d]=0; done
  while :; do
    left=()
    for d in "${TW_DAEMONS[@]}"; do [ "${killed[$d]}" -lt "$n" ] && left+=("$d"); done
    [ ${#left[@]} -gt 0 ] || break
    if [ "$minutes" -gt 0 ] && [ $(($(date +%s) - t0)) -ge $((minutes * 60)) ]; then
      tw_log "$backend: $minutes minutes are up after $total kills; no more kills"
      break
    fi
    d=${left[$((RANDOM % ${#left[@]}))]}
    sleep "$((RANDOM % 2)).$((RANDOM % 10))"          # a random moment of the load
    tw_kill "$d"
    killed[$d]=$((killed[$d] + 1)); total=$((total + 1))
    sleep "0.$((RANDOM % 4))"
    if ! tw_restart "$d"; then
      fail "torture_$backend" "$d did not start again after kill ${killed[$d]}"
      bad=1; break
    fi
    TW_QUIET=1 torture_verify "$backend: after kill ${killed[$d]} of $d" || bad=1
    [ $bad = 0 ] || break
    [ $((total % 25)) -eq 0 ] &&
      tw_log "$backend: $total kills in $(($(date +%s) - t0)) s; answered: $(torture_counts)"
  done
  torture_load_stop
  [ $bad = 0 ] && { torture_final || bad=1; }
  t1=$(date +%s)
  figures="kills:"
  for d in "${TW_DAEMONS[@]}"; do figures+=" $d ${killed[$d]}"; done
  tw_log "$backend: $figures; answered and checked: $(torture_counts); checks: $TW_VERIFIED; $((t1 - t0)) s"
  # A load that got nothing through proves nothing.
  for k in payout coupon ecash payword codex; do
    grep -q "^payout \| $k\$" "$T/acks" && grep -q "^$k \| $k\$" <(sed 's/^payout /payout /' "$T/acks") ||
      { tw_log "$backend: no $k operation was answered"; bad=1; }
  done
  if [ $bad = 0 ]; then pass "torture_$backend"; else fail "torture_$backend"; KEEP=1; fi
  [ $bad = 0 ]
)

rc=0
for b in "${backends[@]}"; do
  n=$kills
  if [ $check = 1 ]; then
    [ "$b" = sqlite ] || continue
    n=2
    export TW_SHORTFALL_NOTE=1
  fi
  run_backend "$b" "$n" || rc=1
done
exit $rc
