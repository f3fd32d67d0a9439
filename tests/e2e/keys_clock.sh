#!/usr/bin/env bash
# The one clock (src/core/clock.h): the programs the tests run take their wall
# time from OBOL_TEST_CLOCK (the system's plus an offset in a file the test
# rewrites), running daemons follow the file, and build/obol, the production
# command, holds no code that reads it. libfaketime stays the tool of the one
# case that must move the system's own clock under a daemon (abuse_faults.sh
# clock_back: what SQLite, OpenSSL and the C library see too).
. "$(dirname "$0")/lib.sh"

CLK=$T/clock
YEARS3=94608000
set_clock() { echo "$1" >"$CLK.new" && mv "$CLK.new" "$CLK"; }
created() { sqlite3 "$1" 'SELECT created FROM issuer_keys'; }
near() { local d=$(($1 - $2)); [ "$d" -ge -5 ] && [ "$d" -le 5 ]; }

# A command of a test build runs three years ahead; build/obol, in the same
# environment, on the system clock.
set_clock $YEARS3
export OBOL_TEST_CLOCK=$CLK
check init_test_build "$OBOL" issuer init --db "sqlite:$T/ahead.db" --currency EUR
near "$(created "$T/ahead.db")" $(($(date +%s) + YEARS3)) && pass test_build_takes_test_clock \
  || fail test_build_takes_test_clock "created $(created "$T/ahead.db")"
check init_production "$OBOL_BUILD/obol" issuer init --db "sqlite:$T/prod.db" --currency EUR
near "$(created "$T/prod.db")" "$(date +%s)" && pass production_ignores_test_clock \
  || fail production_ignores_test_clock "created $(created "$T/prod.db")"
# Not a branch that happens not to run: the reader is not in the binary.
if strings -a "$OBOL_BUILD/obol" | grep -qx OBOL_TEST_CLOCK; then
  fail production_has_no_clock_reader
elif strings -a "$OBOL" | grep -qx OBOL_TEST_CLOCK; then
  pass production_has_no_clock_reader
else
  fail production_has_no_clock_reader "the test build has no reader either: the check proves nothing"
fi

# A file that cannot be read is a named refusal, not the system clock.
out=$(OBOL_TEST_CLOCK=$T/missing "$OBOL" version 2>&1) && fail missing_clock_file_refused "$out" \
  || { grep -q CLOCK_TEST_FILE <<<"$out" && pass missing_clock_file_refused || fail missing_clock_file_refused "$out"; }

# A running daemon follows the file: a wallet's requests are signed with its
# time and accepted within OBOL_AUTH_WINDOW_S (300 s) of the issuer's.
set_clock 0
DB=sqlite:$T/issuer.db
W=$T/alice.wallet
"$OBOL" issuer init --db "$DB" --currency EUR --coupon-denom EUR:1,1000 >/dev/null
start issuer issuer serve --db "$DB" --listen 127.0.0.1:0 || { fail issuer_serve; exit 1; }
KEY=$("$OBOL" wallet init --wallet "$W" --issuer "$issuer_URL" --account alice | sed -n 's/^account-key: //p')
"$OBOL" issuer account add --db "$DB" --kind user --name alice --auth-key "$KEY" >/dev/null
"$OBOL" issuer fund --db "$DB" --account alice --amount EUR:3 >/dev/null
check withdraw_now "$OBOL" wallet withdraw --wallet "$W"
set_clock 86400
check withdraw_a_day_later "$OBOL" wallet withdraw --wallet "$W"
# The control: a wallet whose clock is a day ahead of the daemon's is refused,
# so the case above passed because the daemon moved.
echo $((2 * 86400)) >"$T/other-clock"
out=$(OBOL_TEST_CLOCK=$T/other-clock "$OBOL" wallet withdraw --wallet "$W" 2>&1) \
  && fail skewed_wallet_refused "$out" \
  || { grep -q AUTH_FAILED <<<"$out" && pass skewed_wallet_refused || fail skewed_wallet_refused "$out"; }
