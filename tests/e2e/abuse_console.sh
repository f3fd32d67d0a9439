#!/usr/bin/env bash
# A flood of logins at the operator's console (issue 16, items 4 and 9).
# Each login costs the console an Argon2id check at the INTERACTIVE limits
# (64 MiB; OBOL_ARGON2_FAST is taken off for this daemon), a wrong name
# too (it is checked against a decoy hash). The console checks one password
# at a time and lets a few logins wait a moment for it; over that bound a
# login is refused at once with 503 CONSOLE_BUSY and Retry-After, never put
# in a queue where each waits for all the others' hashes (as the mutex did
# before).
#
# FLOOD logins with wrong passwords, each under a name of its own (the limit
# of failures per name never stops them; the overall limit of 20 failures
# lets all of them through), arrive at once; an honest operator logs in in
# the middle of them, retrying after Retry-After when told CONSOLE_BUSY.
# Not a queue: at most FLOOD/4 of the crowd's passwords are checked (the
# mutex checked all FLOOD, one after the other; the gate checks one and
# lets two wait 100 ms). The honest operator's latency, the bound stated
# with a wide margin: in within two Retry-Afters plus 250 ms plus FLOOD/2
# times the median of an honest login measured alone before the crowd (a
# queue of FLOOD checks takes about FLOOD times it). The slowest answer to
# the crowd is measured and printed.
. "$(dirname "$0")/lib.sh"

FLOOD=20
unset OBOL_ARGON2_FAST
DB=sqlite:$T/issuer.db
export OBOL_CONSOLE_PASSWORD='abuse console password'
"$OBOL" issuer init --db "$DB" --currency EUR >/dev/null || { fail console_issuer_init; exit 1; }
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 --console 127.0.0.1:0 || { fail console_issuer_serve; exit 1; }
C=http://$issuer_ADDR2

# form ID: GET /login with a cookie jar of its own ($T/ID.jar); its "pre" field
form() {
  curl -s -c "$T/$1.jar" "$C/login" | sed -n 's/.*name="pre" value="\([^"]*\)".*/\1/p'
}
# post ID NAME PASSWORD PRE: POST /login; the answer in $T/ID.body and
# $T/ID.head, and "STATUS SECONDS ERROR-NAME" in $T/ID.res
post() {
  local r
  r=$(curl -s -b "$T/$1.jar" -o "$T/$1.body" -D "$T/$1.head" -w '%{http_code} %{time_total}' \
        --data-urlencode "name=$2" --data-urlencode "password=$3" --data-urlencode "pre=$4" "$C/login")
  echo "$r $(grep -o '<strong>[A-Z_]*</strong>' "$T/$1.body" | head -n 1 | sed 's/<[^>]*>//g')" >"$T/$1.res"
}
ms() { awk -v s="$1" 'BEGIN { printf "%.0f\n", s * 1000 }'; }

# The honest operator alone: a login's time (the median of 3), after one
# login under an unknown name (its first makes the decoy hash).
post warm nobody "not the password" "$(form warm)"
for i in 1 2 3; do
  pre=$(form base$i)
  post base$i admin "$OBOL_CONSOLE_PASSWORD" "$pre"
done
read -r s1 _ <"$T/base1.res"
if [ "$s1" != 303 ]; then fail console_login_alone "$(cat "$T/base1.res")"; exit 1; fi
base_ms=$(for i in 1 2 3; do read -r _ t _ <"$T/base$i.res"; ms "$t"; done | sort -n | sed -n 2p)
bound_ms=$((250 + FLOOD / 2 * base_ms))

# The flood, its forms fetched first so that the logins arrive together.
for i in $(seq 1 $FLOOD); do echo "$(form flood$i)" >"$T/flood$i.pre"; done
honest_pre=$(form honest)
pids=()
for i in $(seq 1 $FLOOD); do
  post flood$i "guesser$i" "not the password $i" "$(cat "$T/flood$i.pre")" &
  pids+=($!)
done
# The honest operator, in the middle of it: CONSOLE_BUSY is retried after
# the Retry-After it names, at most 5 times.
sleep 0.05
t0=$(date +%s%N)
tries=0
while :; do
  tries=$((tries + 1))
  post honest admin "$OBOL_CONSOLE_PASSWORD" "$honest_pre"
  read -r hs _ hname <"$T/honest.res"
  [ "$hs" = 503 ] && [ $tries -lt 5 ] || break
  sleep "$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/ip' "$T/honest.head" | tr -d '\r')"
  honest_pre=$(form honest)
done
honest_ms=$((($(date +%s%N) - t0) / 1000000))
for p in "${pids[@]}"; do wait "$p"; done

failed=0 busy=0 limited=0 other=0 slowest=0 busy_no_retry=0
for i in $(seq 1 $FLOOD); do
  read -r st t name <"$T/flood$i.res"
  t=$(ms "$t"); [ "$t" -gt "$slowest" ] && slowest=$t
  case "$st $name" in
    "401 CONSOLE_LOGIN_FAILED") failed=$((failed + 1)) ;;
    "429 CONSOLE_LOGIN_LIMITED") limited=$((limited + 1)) ;;
    "503 CONSOLE_BUSY") busy=$((busy + 1))
      grep -qi '^Retry-After: 1' "$T/flood$i.head" || busy_no_retry=$((busy_no_retry + 1)) ;;
    *) other=$((other + 1)); echo "flood login $i: $st $name" ;;
  esac
done
echo "console login flood: $FLOOD logins at once: $failed checked and refused CONSOLE_LOGIN_FAILED," \
  "$busy refused CONSOLE_BUSY, $limited CONSOLE_LOGIN_LIMITED, $other other; slowest answer $slowest ms;" \
  "an honest login alone $base_ms ms (median of 3)"
echo "console login flood: the honest operator logged in after $tries attempt(s), $honest_ms ms" \
  "(bound $((bound_ms + 2000)) ms: two Retry-Afters more)"

[ $other = 0 ] && pass console_flood_answers_named || fail console_flood_answers_named
[ $busy -gt 0 ] && [ $busy_no_retry = 0 ] && pass console_flood_over_the_bound_is_busy ||
  fail console_flood_over_the_bound_is_busy "$busy CONSOLE_BUSY, $busy_no_retry without Retry-After"
[ "$failed" -le $((FLOOD / 4)) ] && pass console_flood_is_not_queued ||
  fail console_flood_is_not_queued "$failed of $FLOOD passwords checked (a queue checks them all)"
[ "$hs" = 303 ] && [ "$honest_ms" -le $((bound_ms + 2000)) ] && pass console_honest_login_under_flood ||
  fail console_honest_login_under_flood "$hs $hname after $tries attempt(s), $honest_ms ms"
curl -s "$C/metrics" | grep -q '^obol_console_logins_total{result="busy"} [1-9]' &&
  pass console_busy_logins_counted || fail console_busy_logins_counted
