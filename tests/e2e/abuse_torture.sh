#!/usr/bin/env bash
# The bounded torture run of `make check` (tests/torture/run.sh --check): the
# mixed load of the four schemes and the platform on SQLite, the issuer and
# the vendor each killed twice with SIGKILL at random moments; after every
# restart the audit, every answered payout in the ledger once, no account
# holding more than it was told it spent, no vendor outbox row lost. `make
# torture` runs the full one (100 kills of every daemon, PostgreSQL too).
exec "$(dirname "$0")/../torture/run.sh" --check
