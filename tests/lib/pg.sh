# Throwaway PostgreSQL cluster for the tests. Source it, then:
#   pg_start   starts a cluster in a temp dir on a unix socket (no TCP) and
#              exports OBOL_TEST_PG_URL; returns 1 (after printing a SKIP
#              line) when no server can be installed or started.
#   pg_stop    stops it and removes the directory.
#   pg_resume  starts it again after a crash (pg_ctl stop -m immediate: what
#              the torture run does to it, tests/torture/).
# initdb refuses to run as root, so as root the cluster runs as 'nobody'.

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

pg_start() {
  local bin
  bin=$(pg_bin_dir) || true
  if [ -z "$bin" ]; then
    echo "SKIP postgres: no PostgreSQL server is installed and scripts/deps.sh check could not install one"
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/obol-pg-XXXXXX)
  local as=() user
  user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$PG_DIR"
    as=(runuser -u nobody --)
    user=nobody
  fi
  if ! "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U "$user" --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1; then
    echo "SKIP postgres: initdb failed: $(tail -n 3 "$PG_DIR/initdb.log" | tr '\n' ' ')"
    rm -rf "$PG_DIR"; return 1
  fi
  # tests/run.sh runs several parts at once on this one cluster (OBOL_TEST_JOBS),
  # each C case or e2e script with issuers that hold a pool of connections each
  # (issuer serve --threads, default 8): room for all of them at once.
  PG_OPTS="-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c max_connections=400 -c fsync=on"
  if ! "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$PG_OPTS" \
       start >/dev/null 2>&1; then
    echo "SKIP postgres: the server did not start: $(tail -n 3 "$PG_DIR/server.log" | tr '\n' ' ')"
    rm -rf "$PG_DIR"; return 1
  fi
  PG_AS=("${as[@]}"); PG_BIN=$bin
  export PATH="$bin:$PATH"
  export OBOL_TEST_PG_URL="postgresql://$user@/postgres?host=$PG_DIR"
  return 0
}

pg_resume() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$PG_OPTS" \
    start >/dev/null 2>&1
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  unset OBOL_TEST_PG_URL PG_DIR
}
