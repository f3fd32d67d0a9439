#!/usr/bin/env bash
# Installs the Debian packages obol needs to build, test and run.
# A quick no-op when everything is present. Uses sudo when not root.
# Usage: scripts/deps.sh [build|check|soak|ci]
#   build: compilers and -dev libraries (default)
#   check: build + the PostgreSQL server for the backend tests, the
#          sqlite3 shell some end-to-end tests use to tamper with a database,
#          spin for the models of tests/model/, the openssl command for
#          throwaway TLS certificates, python3-dissononce, the independent
#          Noise implementation the device link is tested against
#          (tests/interop/), nginx, the reverse proxy of
#          docs/operations.md that link_proxy.sh runs, headless
#          Chromium with chromedriver and python3-selenium, the browser
#          that drives the consoles (tests/browser/),
#          python3-prometheus-client, whose parser reads /metrics in
#          console_metrics.sh, faketime, the clock that steps back
#          under a daemon (tests/e2e/abuse_faults.sh), and python3-nacl,
#          python3-cryptography and python3-cbor2 for the independent check
#          of the published test vectors (tests/vectors/verify.py)
#   soak:  check + gnuplot for the plot of `make soak`
#   ci:    check + clang for the libFuzzer targets, and the tools that build
#          the Debian package and check it (make deb)
set -euo pipefail

want=(make gcc pkg-config libssl-dev libsodium-dev libsqlite3-dev libpq-dev
      libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libcbor-dev libinih-dev)
case "${1:-build}" in
  build) ;;
  check) want+=(postgresql sqlite3 spin openssl python3-dissononce nginx-light chromium chromium-driver python3-selenium
               python3-prometheus-client faketime python3-nacl python3-cryptography python3-cbor2) ;;
  soak)  want+=(postgresql sqlite3 spin openssl python3-dissononce nginx-light chromium chromium-driver python3-selenium
               python3-prometheus-client faketime python3-nacl python3-cryptography python3-cbor2 gnuplot-nox) ;;
  ci)    want+=(postgresql sqlite3 spin openssl python3-dissononce nginx-light chromium chromium-driver
               python3-selenium python3-prometheus-client faketime python3-nacl python3-cryptography python3-cbor2
               clang libclang-rt-dev dpkg-dev debhelper systemd groff-base) ;;
  *) echo "usage: $0 [build|check|soak|ci]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
