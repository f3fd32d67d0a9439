#!/usr/bin/env bash
# Runs every obol test: the C cases (build/obol-test) on SQLite and, through a
# throwaway cluster, PostgreSQL; the bounded simulation of each scheme with a
# world in the simulator (tests/sim/seeds/SCHEME.txt, and one determinism
# check); then each end-to-end script in tests/e2e/.
# Each e2e script prints "PASS name" or "FAIL name" per case. The last line is
# "N passed, N failed", counting every case of both kinds.
#   OBOL_BUILD       build directory (default build)
#   OBOL_TEST_JOBS   how many parts run at once (default: twice the number of
#                    processors; most e2e scripts spend their time waiting on
#                    their daemons). The parts are the C cases, cut into
#                    batches of whole cases, each simulator seed file and
#                    each e2e script; every part's output is printed whole
#                    and in the order of the serial run, whatever order they
#                    end in. 1 runs them one after another.
#   OBOL_TEST_TIMES  a file to which each part's line "NAME WALL USER SYS" (in
#                    seconds; the CPU time of the processes it waited for) is
#                    added
#   tests/run.sh [FILTER...]   runs only the C cases, simulations and e2e
#                    scripts whose name contains a FILTER
set -uo pipefail
cd "$(dirname "$0")/.."
export OBOL_BUILD=${OBOL_BUILD:-build}
# The issuer's and vendor's commands read no /etc/obol/*.conf of this machine.
export OBOL_CONFIG_DIR=${OBOL_CONFIG_DIR:-/nonexistent/obol-tests}
. tests/lib/pg.sh

jobs=${OBOL_TEST_JOBS:-$((2 * $(nproc 2>/dev/null || echo 1)))}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "OBOL_TEST_JOBS must be a whole number of at least 1, not '$jobs'" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/obol-run-XXXXXX")
trap 'rm -rf "$W"; pg_stop' EXIT
if pg_start; then echo "postgres: throwaway cluster at $PG_DIR"; fi

wanted() { # NAME: no FILTER, or one that NAME contains
  [ $# -gt 1 ] || return 0
  local name=$1 x; shift
  for x in "$@"; do [[ $name == *"$x"* ]] && return 0; done
  return 1
}

# ---- the parts: each writes its output ($W/N.out), then its counts ($W/N.cnt: "passed failed")
# C cases: one batch is `obol-test NAME...` for some whole cases; its summary
# line is summed with the other batches' and printed after the last one.
part_cases() { # N FILTER...
  local n=$1; shift
  "$OBOL_BUILD/obol-test" "$@" >"$W/$n.raw" 2>&1
  local sum
  sum=$(tail -n 1 "$W/$n.raw")
  if [[ $sum =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    sed '$d' "$W/$n.raw"
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >"$W/$n.cnt.tmp"
  else
    cat "$W/$n.raw"
    echo "FAIL obol-test ended without its summary line (crashed?)"
    echo "0 1 crashed" >"$W/$n.cnt.tmp"
  fi
}

part_sim() { # N SCHEME SEEDFILE
  local n=$1 scheme=$2 f=$3 name="sim-$2" out="$W/$1.raw"
  echo "== $name"
  { "$OBOL_BUILD/obol-sim" --scheme "$scheme" --seed-file "$f" --quiet
    "$OBOL_BUILD/obol-sim" --scheme "$scheme" --seed 3 --steps 1500 --check-determinism --quiet
  } >"$out" 2>&1
  grep -E '^(PASS|FAIL) |^  replay|^sim ' "$out" | sed 's/^/   /'
  local p=0 f=0 r m
  if [ "$(grep -c '^sim ' "$out")" -ne 2 ]; then
    echo "   FAIL $name (obol-sim ended without its summary line: crashed?)"; tail -n 20 "$out" | sed 's/^/   | /'
    f=1
  fi
  while read -r r m; do
    p=$((p + r - m)); f=$((f + m))
  done < <(sed -nE 's/^sim [^:]*: ([0-9]+) runs?, .*, ([0-9]+) failed$/\1 \2/p' "$out")
  echo "$p $f" >"$W/$n.cnt.tmp"
}

part_e2e() { # N SCRIPT
  local n=$1 t=$2 name out="$W/$1.raw" rc
  name=$(basename "$t" .sh)
  echo "== e2e $name"
  bash "$t" >"$out" 2>&1 </dev/null; rc=$?  # unattended: no command may ask on a terminal
  grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed 's/^/   /'
  local p f
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "   FAIL $name (exit $rc)"; f=1
  fi
  if [ "$f" -gt 0 ]; then echo "   --- output of $name:"; tail -n 40 "$out" | sed 's/^/   | /'; fi
  echo "$p $f" >"$W/$n.cnt.tmp"
}

P_ARGS=() P_NAME=()   # part N: its function and arguments, quoted; its name
nparts=0
add_part() { # NAME FUNCTION ARGS...
  P_NAME[nparts]=$1; shift
  P_ARGS[nparts]=$(printf '%q ' "$@"); nparts=$((nparts + 1))
}

# The C cases: all in one run of obol-test when the parts run one at a time,
# else in batches of whole cases, in the order obol-test lists them. obol-test
# runs a case when a FILTER is part of its name, so a batch names its cases in
# full, and a case whose name is part of another's stays in that case's batch
# (no case runs twice).
cases_first=$nparts
batches=()
if [ "$jobs" -gt 1 ] && list=$("$OBOL_BUILD/obol-test" -l "$@" 2>/dev/null) && [ -n "$list" ]; then
  mapfile -t batches < <(printf '%s\n' "$list" | awk -v size=12 '
    { name[NR] = $1; db[NR] = ($2 == "[db]") }
    END {
      # no batch boundary inside [i, j] when one of the two names holds the other
      for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++)
        if (index(name[j], name[i]) || index(name[i], name[j])) { if (j > reach[i]) reach[i] = j }
      line = ""; w = 0; far = 0
      for (i = 1; i <= NR; i++) {
        line = line (line == "" ? "" : " ") name[i]; w += db[i] ? 2 : 1
        if (reach[i] > far) far = reach[i]
        if (w >= size && far <= i) { print line; line = ""; w = 0 }
      }
      if (line != "") print line
    }')
fi
if [ ${#batches[@]} -le 1 ]; then
  add_part obol-test part_cases "$nparts" "$@"
else
  for ((b = 0; b < ${#batches[@]}; b++)); do
    read -r -a names <<<"${batches[$b]}"
    add_part "obol-test:$((b + 1))/${#batches[@]}" part_cases "$nparts" "${names[@]}"
  done
fi
cases_last=$((nparts - 1))

# The deterministic simulator: "PASS ..." or "FAIL ..." per run (a failure
# names its seed, step and invariant, and how to replay it).
for f in tests/sim/seeds/*.txt; do
  [ -e "$f" ] || continue
  scheme=$(basename "$f" .txt)
  [[ $scheme == *-defects ]] && continue
  wanted "sim-$scheme" "$@" || continue
  add_part "sim-$scheme" part_sim "$nparts" "$scheme" "$f"
done

for t in tests/e2e/*.sh; do
  [ -e "$t" ] || continue
  wanted "$(basename "$t" .sh)" "$@" || continue
  add_part "e2e-$(basename "$t" .sh)" part_e2e "$nparts" "$t"
done

# ---- running them: at most $jobs at once; part N is printed when parts 0..N
# all are done, so the output reads as the serial run's.
# The C cases' summary line is the sum of the batches', printed after the
# last batch (none when a batch crashed: its FAIL line says so).
passed=0; failed=0; cases_p=0; cases_f=0; cases_crashed=0; printed=0
print_done() {
  local p f crashed
  while [ "$printed" -lt "$nparts" ] && [ -e "$W/$printed.cnt" ]; do
    cat "$W/$printed.out"
    read -r p f crashed <"$W/$printed.cnt"
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$printed" -ge "$cases_first" ] && [ "$printed" -le "$cases_last" ]; then
      cases_p=$((cases_p + p)); cases_f=$((cases_f + f)); [ -n "$crashed" ] && cases_crashed=1
      [ "$printed" -eq "$cases_last" ] && [ $cases_crashed = 0 ] && echo "$cases_p passed, $cases_f failed"
    fi
    [ -n "${OBOL_TEST_TIMES:-}" ] && cat "$W/$printed.time" >>"$OBOL_TEST_TIMES"
    printed=$((printed + 1))
  done
}
run_part() { # N (in a subshell of its own)
  local t0=$EPOCHREALTIME
  eval "${P_ARGS[$1]}" >"$W/$1.out" 2>&1
  [ -e "$W/$1.cnt.tmp" ] || echo "0 1" >"$W/$1.cnt.tmp"
  if [ -n "${OBOL_TEST_TIMES:-}" ]; then
    times >"$W/$1.cpu"   # its second line: the children's user and system time, "1m2.345s"
    sed -n '2s/[ms]/ /gp' "$W/$1.cpu" | awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="${P_NAME[$1]}" \
      '{ printf "%s %.1f %.1f %.1f\n", n, b - a, $1 * 60 + $2, $3 * 60 + $4 }' >"$W/$1.time"
  fi
  mv "$W/$1.cnt.tmp" "$W/$1.cnt"
}

# Start order when several run at once: the simulations first (the longest
# computations), then an e2e script (mostly waiting on its daemons) and a batch
# of C cases in turn, so that the processors are kept busy to the end.
order=()
if [ "$jobs" -gt 1 ]; then
  others=()
  for ((i = cases_last + 1; i < nparts; i++)); do
    case ${P_NAME[$i]} in sim-*) order+=("$i") ;; *) others+=("$i") ;; esac
  done
  for ((i = 0, b = cases_first; i < ${#others[@]} || b <= cases_last; i++, b++)); do
    [ "$i" -lt ${#others[@]} ] && order+=("${others[$i]}")
    [ "$b" -le "$cases_last" ] && order+=("$b")
  done
else
  for ((i = 0; i < nparts; i++)); do order+=("$i"); done
fi

running=0
for i in "${order[@]}"; do
  while [ "$running" -ge "$jobs" ]; do
    wait -n; running=$((running - 1)); print_done
  done
  run_part "$i" &
  running=$((running + 1))
done
wait
print_done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
