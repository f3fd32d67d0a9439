#!/usr/bin/env bash
# Faults of the machine (issue 16, item 7), with a real issuer and payouts
# by request id through the wallet: a full disk (the database on a small
# tmpfs made for the test, filled mid-run), a read-only file system (that
# tmpfs remounted read-only: Linux refuses it under files open for writing,
# so the issuer meets it at its start), a database that disappears mid-run
# (the SQLite file renamed away; the PostgreSQL database closed to
# connections and its sessions ended), a PostgreSQL database turned
# read-only mid-run (as a server does for a standby), a clock that steps
# back an hour mid-run (libfaketime under the daemon). Each: the request it
# hits gets a named error, every payout answered before is in the ledger
# once, the audit holds, and service is back when the fault ends.
# The tmpfs cases need root (mount); without it they are SKIPped, as the
# clock case is without libfaketime.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/pg.sh"

# Payouts by request id: what was answered is kept in $T/answered-WORLD.
n=0
payout() { # WORLD: one payout of EUR:0.01 from WORLD's wallet; prints the error name on failure
  n=$((n + 1))
  local out
  if out=$("$OBOL" wallet payout --wallet "$T/$1.wallet" --amount EUR:0.01 --request-id "fault-$n" 2>&1); then
    echo "fault-$n" >>"$T/answered-$1"; return 0
  fi
  sed -n 's/^obol [^:]*: \([A-Z_0-9]*\):.*/\1/p' <<<"$out" | head -n 1
  return 1
}
sql() { # DB SQL
  case $1 in
    sqlite:*) sqlite3 -batch -noheader "${1#sqlite:}" "$2" ;;
    *) psql -X -q -t -A -d "$1" -c "$2" ;;
  esac
}
# Every payout WORLD was answered is in the ledger, once, and the audit holds.
nothing_lost() { # WORLD DB
  local rid c
  while read -r rid; do
    c=$(sql "$2" "SELECT count(*) FROM journal_entries WHERE reason = 'payout' AND ref = '$rid'")
    [ "$c" = 1 ] || { echo "payout $rid: $c in the ledger"; return 1; }
  done <"$T/answered-$1"
  [ "$("$OBOL" audit --db "$2" 2>&1 | tail -n 1)" = "audit: OK" ] || { echo "the audit fails"; return 1; }
}
world() { # WORLD DB: an issuer daemon WORLD on DB, a funded payer wallet $T/WORLD.wallet, two payouts
  # A SQLite database is a copy of one made once (its keys take a while).
  case $2 in
    sqlite:*)
      [ -e "$T/template.db" ] || "$OBOL" issuer init --db "sqlite:$T/template.db" --currency EUR >/dev/null || return 1
      cp "$T/template.db" "${2#sqlite:}" || return 1 ;;
    *) "$OBOL" issuer init --db "$2" --currency EUR --master-key "$T/$1.master-key" >/dev/null || return 1 ;;
  esac
  start "$1" issuer serve --db "$2" --listen 127.0.0.1:0 || return 1
  local url=${1}_URL key
  key=$("$OBOL" wallet init --wallet "$T/$1.wallet" --issuer "${!url}" --account payer | sed -n 's/^account-key: //p')
  "$OBOL" issuer account add --db "$2" --kind user --name payer --auth-key "$key" >/dev/null &&
    "$OBOL" issuer fund --db "$2" --account payer --amount EUR:100 >/dev/null || return 1
  : >"$T/answered-$1"
  payout "$1" >/dev/null && payout "$1" >/dev/null
}
# A few tries for service to come back (a reconnection, a backoff).
back() { # WORLD
  local i
  for i in 1 2 3 4 5; do payout "$1" >/dev/null && return 0; sleep 0.5; done
  return 1
}
# Whatever happens, the file system of the test goes before its directory.
trap 'umount -l "$T/disk" 2>/dev/null; [ -n "${PG_DIR:-}" ] && pg_stop; e2e_cleanup' EXIT

# ---- a full disk mid-run, then a read-only file system (a tmpfs, as root) ----
if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$T/disk" || ! mount -t tmpfs -o size=3m tmpfs "$T/disk" 2>/dev/null; then
  echo "SKIP full_disk, read_only_file: a tmpfs of our own needs root"
else
  DB=sqlite:$T/disk/issuer.db
  world disk "$DB" || fail full_disk "the issuer did not start on the tmpfs"
  dd if=/dev/zero of="$T/disk/filler" bs=16k 2>/dev/null
  got=""
  for i in 1 2 3; do got=$(payout disk) || break; dd if=/dev/zero of="$T/disk/filler.$i" bs=4k 2>/dev/null; done
  [ "$got" = STORE_FULL ] && pass full_disk_named || fail full_disk_named "a payout on a full disk: ${got:-answered}"
  rm -f "$T/disk"/filler*
  back disk && pass full_disk_service_back || fail full_disk_service_back
  out=$(nothing_lost disk "$DB") && pass full_disk_nothing_lost || fail full_disk_nothing_lost "$out"
  stop disk
  mount -o remount,ro "$T/disk"
  expect_error STORE_READ_ONLY "$OBOL" issuer serve --db "$DB" --listen 127.0.0.1:0 &&
    pass read_only_file_named || fail read_only_file_named
  mount -o remount,rw "$T/disk"
  restart disk && back disk && pass read_only_file_service_back || fail read_only_file_service_back
  out=$(nothing_lost disk "$DB") && pass read_only_file_nothing_lost || fail read_only_file_nothing_lost "$out"
  stop disk
  umount "$T/disk"
fi

# ---- the SQLite file disappears (renamed away) mid-run, then comes back ----
DB=sqlite:$T/gone.db
world gone "$DB" || fail file_gone "the issuer did not start"
mv "$T/gone.db" "$T/gone.db.away"
got=$(payout gone)
[ "$got" = STORE_GONE ] && pass file_gone_named || fail file_gone_named "a payout with the file away: ${got:-answered}"
mv "$T/gone.db.away" "$T/gone.db"
back gone && pass file_gone_service_back || fail file_gone_service_back
out=$(nothing_lost gone "$DB") && pass file_gone_nothing_lost || fail file_gone_nothing_lost "$out"
stop gone

# ---- PostgreSQL: the database disappears mid-run, then turns read-only ----
if [ -n "${OBOL_TEST_PG_URL:-}" ] || pg_start; then
  name=obol_faults_$$
  base=${OBOL_TEST_PG_URL%%\?*}
  query=${OBOL_TEST_PG_URL#*\?}
  MAINT=$OBOL_TEST_PG_URL
  PGURL="${base%/*}/$name?$query"
  kick() { sql "$MAINT" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$name'" >/dev/null; }
  world pg "$PGURL" || fail database_gone "the issuer did not start"
  sql "$MAINT" "ALTER DATABASE $name WITH ALLOW_CONNECTIONS false" >/dev/null && kick
  got=$(payout pg)
  [ "$got" = STORE_OPEN ] && pass database_gone_named || fail database_gone_named "a payout without the database: ${got:-answered}"
  sql "$MAINT" "ALTER DATABASE $name WITH ALLOW_CONNECTIONS true" >/dev/null
  back pg && pass database_gone_service_back || fail database_gone_service_back
  out=$(nothing_lost pg "$PGURL") && pass database_gone_nothing_lost || fail database_gone_nothing_lost "$out"
  sql "$MAINT" "ALTER DATABASE $name SET default_transaction_read_only = on" >/dev/null && kick
  got=""
  for i in 1 2 3; do got=$(payout pg) && got=""; [ "$got" = STORE_OPEN ] || break; sleep 0.3; done
  [ "$got" = STORE_READ_ONLY ] && pass read_only_database_named || fail read_only_database_named "${got:-answered}"
  sql "$MAINT" "ALTER DATABASE $name RESET default_transaction_read_only" >/dev/null && kick
  back pg && pass read_only_database_service_back || fail read_only_database_service_back
  out=$(nothing_lost pg "$PGURL") && pass read_only_database_nothing_lost || fail read_only_database_nothing_lost "$out"
  stop pg
fi

# ---- the issuer's clock steps back an hour mid-run, then forward again ----
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
if [ -z "$FAKETIME_LIB" ]; then
  echo "SKIP clock_back: no libfaketime (scripts/deps.sh check installs faketime)"
else
  echo "+0" >"$T/clock"
  # Under the sanitizers (make asan) AddressSanitizer's runtime must come
  # first in the preload list, before libfaketime.
  preload=$FAKETIME_LIB
  asan_lib=$(ldd "$OBOL" 2>/dev/null | awk '/libasan/ { print $3; exit }')
  [ -n "$asan_lib" ] && preload="$asan_lib $FAKETIME_LIB"
  printf '#!/bin/sh\nLD_PRELOAD="%s" FAKETIME_TIMESTAMP_FILE=%s FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1 exec %s "$@"\n' \
    "$preload" "$T/clock" "$OBOL" >"$T/faked-obol"
  chmod +x "$T/faked-obol"
  E2E_EXE[clock]=$T/faked-obol
  DB=sqlite:$T/clock.db
  if ! world clock "$DB"; then
    fail clock_back "the issuer did not start"
  else
    echo "-1h" >"$T/clock"
    got=$(payout clock)
    echo "the issuer an hour behind its clients: a payout is refused with ${got:-nothing}"
    [ -n "$got" ] && [ "$got" != UNKNOWN_ERROR ] && pass clock_back_named || fail clock_back_named "${got:-answered}"
    curl -sf "$clock_URL/keys" >/dev/null && pass clock_back_still_serves || fail clock_back_still_serves
    echo "+0" >"$T/clock"
    back clock && pass clock_back_service_back || fail clock_back_service_back
    out=$(nothing_lost clock "$DB") && pass clock_back_nothing_lost || fail clock_back_nothing_lost "$out"
    stop clock
  fi
fi
