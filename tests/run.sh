#!/usr/bin/env bash
# Runs every obol test: the C cases (build/obol-test) on SQLite and, through a
# throwaway cluster, PostgreSQL; the bounded simulation of each scheme with a
# world in the simulator (tests/sim/seeds/SCHEME.txt, and one determinism
# check); then each end-to-end script in tests/e2e/.
# Each e2e script prints "PASS name" or "FAIL name" per case. The last line is
# "N passed, N failed", counting every case of both kinds.
#   OBOL_BUILD   build directory (default build)
#   tests/run.sh [FILTER...]   runs only the C cases and e2e scripts matching
set -uo pipefail
cd "$(dirname "$0")/.."
export OBOL_BUILD=${OBOL_BUILD:-build}
# The issuer's and vendor's commands read no /etc/obol/*.conf of this machine.
export OBOL_CONFIG_DIR=${OBOL_CONFIG_DIR:-/nonexistent/obol-tests}
. tests/lib/pg.sh

passed=0; failed=0
if pg_start; then trap pg_stop EXIT; echo "postgres: throwaway cluster at $PG_DIR"; fi

out=$(mktemp)
"$OBOL_BUILD/obol-test" "$@" | tee "$out"
last=$(tail -n 1 "$out")
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else
  echo "FAIL obol-test ended without its summary line (crashed?)"; failed=$((failed + 1))
fi

# The deterministic simulator: "PASS ..." or "FAIL ..." per run (a failure
# names its seed, step and invariant, and how to replay it).
for f in tests/sim/seeds/*.txt; do
  [ -e "$f" ] || continue
  scheme=$(basename "$f" .txt)
  [[ $scheme == *-defects ]] && continue
  name="sim-$scheme"
  if [ $# -gt 0 ]; then
    hit=0; for x in "$@"; do [[ $name == *"$x"* ]] && hit=1; done
    [ $hit -eq 1 ] || continue
  fi
  echo "== $name"
  { "$OBOL_BUILD/obol-sim" --scheme "$scheme" --seed-file "$f" --quiet
    "$OBOL_BUILD/obol-sim" --scheme "$scheme" --seed 3 --steps 1500 --check-determinism --quiet
  } >"$out" 2>&1
  grep -E '^(PASS|FAIL) |^  replay|^sim ' "$out" | sed 's/^/   /'
  if [ "$(grep -c '^sim ' "$out")" -ne 2 ]; then
    echo "   FAIL $name (obol-sim ended without its summary line: crashed?)"; tail -n 20 "$out" | sed 's/^/   | /'
    failed=$((failed + 1))
  fi
  while read -r n m; do
    passed=$((passed + n - m)); failed=$((failed + m))
  done < <(sed -nE 's/^sim [^:]*: ([0-9]+) runs?, .*, ([0-9]+) failed$/\1 \2/p' "$out")
done

for t in tests/e2e/*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  if [ $# -gt 0 ]; then
    hit=0; for f in "$@"; do [[ $name == *"$f"* ]] && hit=1; done
    [ $hit -eq 1 ] || continue
  fi
  echo "== e2e $name"
  bash "$t" >"$out" 2>&1 </dev/null; rc=$?  # unattended: no command may ask on a terminal
  grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed 's/^/   /'
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "   FAIL $name (exit $rc)"; f=1
  fi
  if [ "$f" -gt 0 ]; then echo "   --- output of $name:"; tail -n 40 "$out" | sed 's/^/   | /'; fi
  passed=$((passed + p)); failed=$((failed + f))
done
rm -f "$out"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
