#!/usr/bin/env bash
# Runs the SPIN models of tests/model/ (`make model`).
#
# For each model: spin -a, then pan compiled twice: without the never claim
# (assertions and invalid end states) and with it (the LTL invariant
# `books`); both must search the whole state space with no error. Then for
# each line of tests/model/defects: the model compiled with that defect's
# macros must produce a counterexample violating the named property, so a
# model that silently stops catching its defect fails the run.
#
# Usage: tests/model/run.sh [MODEL...]     (default: every tests/model/*.pml)
# Environment: OBOL_BUILD (default build): work files go to $OBOL_BUILD/model/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(pwd)/${OBOL_BUILD:-build}/model
jobs=${OBOL_MODEL_JOBS:-2}
command -v spin >/dev/null || { echo "model: spin not found (scripts/deps.sh check installs it)" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"

if [ $# -gt 0 ]; then models=("$@"); else
  models=(); for f in "$here"/*.pml; do models+=("$(basename "$f" .pml)"); done
fi

# One verification: NAME MODEL CLAIM(0|1) EXPECT DEFINES...
# EXPECT empty: no error allowed; else a violation whose text contains EXPECT.
verify() {
  local name=$1 model=$2 claim=$3 expect=$4; shift 4
  local dir="$out/$name" defs=() d
  for d in "$@"; do defs+=("-D$d"); done
  mkdir -p "$dir" && cp "$here/$model.pml" "$dir/" && cd "$dir" || return 1
  local start=$(date +%s%N)
  if ! spin -a "${defs[@]}" "$model.pml" >spin.log 2>&1; then
    echo "FAIL $name: spin -a"; cat spin.log; return 1; fi
  local cflags=(-O0 -w -DSAFETY); [ "$claim" = 1 ] || cflags+=(-DNOCLAIM)
  if ! gcc "${cflags[@]}" -o pan pan.c >gcc.log 2>&1; then
    echo "FAIL $name: gcc"; cat gcc.log; return 1; fi
  ./pan -m200000 -n >pan.log 2>&1
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local states=$(awk '/states, stored/ {print $1; exit}' pan.log)
  local depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.log | head -1)
  local errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -1)
  local ptime=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\).*/\1/p' pan.log | head -1)
  if grep -q 'max search depth too small' pan.log; then
    echo "FAIL $name: search depth too small (raise -m)"; return 1; fi
  if [ -z "$expect" ]; then
    if [ "$errors" = 0 ]; then
      printf 'ok   %-44s %8s states  depth %4s  pan %5ss  (%d.%01ds with spin -a and gcc)\n' "$name" "$states" "$depth" "$ptime" $((ms / 1000)) $((ms % 1000 / 100))
      return 0
    fi
    echo "FAIL $name: $(grep -m1 'pan:1:' pan.log)"; echo "     trail: $dir/$model.pml.trail (spin -t -p $model.pml)"
    return 1
  fi
  local msg=$(grep -m1 'pan:1:' pan.log)
  if [ "$errors" != 0 ] && [[ "$msg" == *"$expect"* ]]; then
    local at=$(echo "$msg" | sed -n 's/.*at depth \([0-9]*\).*/\1/p')
    printf 'ok   %-44s caught: trail of %s steps violates %s\n' "$name" "$at" "$expect"
    return 0
  fi
  echo "FAIL $name: expected a violation of '$expect', got: ${msg:-no error}"
  return 1
}
export -f verify; export here out

list="$out/jobs"; : >"$list"
for m in "${models[@]}"; do
  [ -f "$here/$m.pml" ] || { echo "model: no $here/$m.pml" >&2; exit 1; }
  echo "$m $m 0 -" >>"$list"
  echo "$m.ltl $m 1 -" >>"$list"
  while read -r dm macros expect; do
    case "$dm" in ''|\#*) continue ;; esac
    [ "$dm" = "$m" ] || continue
    echo "$m.$(echo "$macros" | tr ',' '+') $m 0 $expect $(echo "$macros" | tr ',' ' ')" >>"$list"
  done <"$here/defects"
done

start=$(date +%s)
# each line: name model claim expect defines...; "-" is no expectation
xargs -P "$jobs" -L 1 bash -c 'n=$1 m=$2 c=$3 e=$4; shift 4; [ "$e" = - ] && e=; verify "$n" "$m" "$c" "$e" "$@" >"$out/$n.result" 2>&1; echo $? >"$out/$n.rc"' _ <"$list"
fail=0; pass=0
while read -r name _; do
  cat "$out/$name.result"
  if [ "$(cat "$out/$name.rc" 2>/dev/null)" = 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); fi
done <"$list"
echo "model: $(( $(date +%s) - start ))s in all"
echo "model: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
