# Helpers for end-to-end scripts with real obol processes on loopback.
# Source it:  . "$(dirname "$0")/lib.sh"
#
#   T                     a fresh temporary directory (removed at exit unless KEEP=1)
#   OBOL                  the obol command as the tests run it ($OBOL_BUILD/obol-e2e, absolute:
#                         built for tests, so it honours OBOL_ARGON2_FAST=1)
#   ATTACK                the cheating parties ($OBOL_BUILD/obol-attack; tests/attack/attack.h)
#   start NAME ARGS...    runs `obol ARGS...` in the background (log in $T/NAME.log),
#                         waits for its "listening on HOST:PORT" lines (one per --listen,
#                         --http or --console), then sets NAME_ADDR, NAME_URL (https://... when ARGS
#                         have --tls-cert, else http://...), NAME_PORT, NAME_ADDR2 (second
#                         line) and NAME_PID
#   start_attack NAME ARGS...  the same with `obol-attack ARGS...` (a cheating party that
#                         listens, tests/attack/); its "key: value" lines are in $T/NAME.log
#   tls_cert NAME         a throwaway self-signed certificate for 127.0.0.1/localhost (openssl
#                         CLI): $T/NAME.crt (also the CA file the clients trust) and $T/NAME.key
#   kill9 NAME            SIGKILL and reap;  stop NAME: SIGTERM and wait
#   restart NAME          starts the same command again on the same address(es)
#   pass CASE / fail CASE [WHY]   print "PASS CASE" / "FAIL CASE" (with the reason)
#   check CASE CMD...     pass when CMD succeeds, else fail (showing its output)
#   expect_error NAME CMD...   succeeds when CMD fails and its stderr names NAME
#                         ("obol PATH: NAME: ..."); prints what it got otherwise
#   http_expect STATUS NAME CURL-ARGS...   curl must answer STATUS with an error body
#                         whose "name" is NAME
#   field KEY TEXT        the value of "KEY: value" in TEXT
# Every process started here is stopped at exit (by its pid).
set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OBOL_BUILD=${OBOL_BUILD:-build}
case $OBOL_BUILD in /*) ;; *) OBOL_BUILD=$E2E_ROOT/$OBOL_BUILD ;; esac
OBOL=$OBOL_BUILD/obol-e2e
ATTACK=$OBOL_BUILD/obol-attack
T=$(mktemp -d "${TMPDIR:-/tmp}/obol-e2e-XXXXXX")
export OBOL_PASSPHRASE=${OBOL_PASSPHRASE:-e2e passphrase}
export OBOL_ARGON2_FAST=1

declare -A E2E_PIDS=() E2E_CMDS=() E2E_EXE=()

e2e_cleanup() {
  local n
  for n in "${!E2E_PIDS[@]}"; do
    kill -TERM "${E2E_PIDS[$n]}" 2>/dev/null
  done
  for n in "${!E2E_PIDS[@]}"; do
    wait "${E2E_PIDS[$n]}" 2>/dev/null
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap e2e_cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }

field() { printf '%s\n' "$2" | sed -n "s/^$1: //p" | head -n 1; }

# Waits for the listening lines of NAME (from byte offset $2 of its log).
e2e_wait_listening() {
  local name=$1 offset=$2 want=$3 scheme=${4:-http} i lines
  for i in $(seq 1 400); do
    lines=$(tail -c +"$((offset + 1))" "$T/$name.log" 2>/dev/null | grep '^listening on ' || true)
    if [ "$(printf '%s' "$lines" | grep -c '^listening on ')" -ge "$want" ]; then
      local a1 a2
      a1=$(printf '%s\n' "$lines" | sed -n '1s/^listening on //p')
      a2=$(printf '%s\n' "$lines" | sed -n '2s/^listening on //p')
      printf -v "${name}_ADDR" '%s' "$a1"
      printf -v "${name}_URL" '%s://%s' "$scheme" "$a1"
      printf -v "${name}_PORT" '%s' "${a1##*:}"
      printf -v "${name}_ADDR2" '%s' "$a2"
      return 0
    fi
    if ! kill -0 "${E2E_PIDS[$name]}" 2>/dev/null; then
      echo "$name exited before listening:"; tail -n 20 "$T/$name.log"; return 1
    fi
    sleep 0.05
  done
  echo "$name did not listen in time:"; tail -n 20 "$T/$name.log"; return 1
}

e2e_launch() {
  local name=$1; shift
  local want=0 a offset scheme=http
  for a in "$@"; do case $a in --listen|--http|--console) want=$((want + 1)) ;; --tls-cert) scheme=https ;; esac; done
  [ $want -gt 0 ] || want=1
  offset=$(stat -c %s "$T/$name.log" 2>/dev/null || echo 0)
  "${E2E_EXE[$name]:-$OBOL}" "$@" >>"$T/$name.log" 2>&1 </dev/null &
  E2E_PIDS[$name]=$!
  printf -v "${name}_PID" '%s' "$!"
  e2e_wait_listening "$name" "$offset" "$want" "$scheme"
}

start_attack() {
  E2E_EXE[$1]=$ATTACK
  start "$@"
}

tls_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=obol e2e $1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$T/$1.key" -out "$T/$1.crt" >/dev/null 2>&1
}

start() {
  local name=$1; shift
  local q="" a
  for a in "$@"; do q+=$(printf '%q ' "$a"); done
  E2E_CMDS[$name]=$q
  e2e_launch "$name" "$@"
}

kill9() {
  kill -KILL "${E2E_PIDS[$1]}" 2>/dev/null
  wait "${E2E_PIDS[$1]}" 2>/dev/null
  unset "E2E_PIDS[$1]"
}

stop() {
  kill -TERM "${E2E_PIDS[$1]}" 2>/dev/null
  wait "${E2E_PIDS[$1]}" 2>/dev/null
  unset "E2E_PIDS[$1]"
}

restart() {
  local name=$1 addr addr2
  eval "local -a args=(${E2E_CMDS[$name]})"
  addr=${name}_ADDR; addr2=${name}_ADDR2
  local i
  for ((i = 0; i < ${#args[@]} - 1; i++)); do
    case ${args[$i]} in
      --listen) args[$((i + 1))]=${!addr} ;;
      --http|--console) [ -n "${!addr2}" ] && args[$((i + 1))]=${!addr2} ;;
    esac
  done
  if [ -n "${E2E_PIDS[$name]:-}" ]; then stop "$name"; fi
  e2e_launch "$name" "${args[@]}"
}

check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | tail -n 3)"; fi
}

expect_error() {
  local want=$1; shift
  local err
  if err=$("$@" 2>&1 >/dev/null); then
    echo "expected $want, but the command succeeded: $*"; return 1
  fi
  if printf '%s\n' "$err" | grep -q "^obol [^:]*: $want:"; then return 0; fi
  echo "expected $want, got: $err"; return 1
}

http_expect() {
  local status=$1 name=$2; shift 2
  local out code body
  out=$(curl -s -w '\n%{http_code}' "$@") || { echo "curl failed: $*"; return 1; }
  code=${out##*$'\n'}; body=${out%$'\n'*}
  if [ "$code" = "$status" ] && printf '%s' "$body" | grep -q "\"name\":\"$name\""; then return 0; fi
  echo "expected $status $name, got $code $body"; return 1
}

# ---- scans for secrets (keys_offline.sh, signer.sh, ecash_signer_rotate.sh)
# Every blob and text cell of every table of the SQLite database file $1,
# in hex, one per line.
db_cells_hex() {
  local t c
  for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
    for c in $(sqlite3 "$1" "SELECT name FROM pragma_table_info('$t')"); do
      sqlite3 "$1" "SELECT hex(\"$c\") FROM \"$t\" WHERE typeof(\"$c\") IN ('blob', 'text')"
    done
  done
}
# How many of the hex secrets on stdin (one a line) the hex dump $1 holds:
# each counts once whole and once by its middle 16 bytes.
hex_secrets_found() {
  local n=0 s
  while read -r s; do
    [ -n "$s" ] || continue
    grep -qi "$s" "$1" && n=$((n + 1))
    grep -qi "${s:$((${#s} / 2 - 16)):32}" "$1" && n=$((n + 1))
  done
  echo $n
}
# The seed in a master key file ("obol-master-key-v1 " base64url), in hex.
master_key_hex() {
  python3 -c 'import base64,sys; t=open(sys.argv[1]).read().split()[1]; t+="="*(-len(t)%4)
print(base64.urlsafe_b64decode(t.replace("+","-").replace("/","_")).hex().upper())' "$1"
}
