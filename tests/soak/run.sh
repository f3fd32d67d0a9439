#!/usr/bin/env bash
# The soak (issue 16, item 8): the mixed load of tests/torture/lib.sh (the
# four schemes and the platform, through the obol command) against an issuer
# and a vendor on SQLite for SOAK_MINUTES, sampling each daemon's resident
# memory, open descriptors and threads every SOAK_INTERVAL seconds. Writes
# to SOAK_OUT (default $OBOL_BUILD/soak/):
#   soak.tsv      every sample: seconds, daemon, rss_kb, fds, threads, operations answered
#   summary.txt   per daemon: first, last and peak of each, and the growth per
#                 hour fitted over the second half of the run (after warm-up)
#   soak.png      the samples over time (gnuplot)
# and ends with the checks of the torture run (audit, answered operations,
# the vendor's outbox). Prints "PASS soak" or "FAIL soak".
#   SOAK_MINUTES   the length (default 30; at most SOAK_MAX_MINUTES, 1440)
#   SOAK_INTERVAL  seconds between samples (default 10)
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/torture/lib.sh

minutes=${SOAK_MINUTES:-30}
max=${SOAK_MAX_MINUTES:-1440}
interval=${SOAK_INTERVAL:-10}
case $minutes in '' | *[!0-9]*) echo "SOAK_MINUTES must be a number of minutes" >&2; exit 2 ;; esac
[ "$minutes" -ge 1 ] && [ "$minutes" -le "$max" ] || { echo "SOAK_MINUTES is 1..$max" >&2; exit 2; }
out=${SOAK_OUT:-$OBOL_BUILD/soak}
mkdir -p "$out"

torture_world sqlite || { fail soak "the world did not start"; exit 1; }
torture_load_start
daemons=(issuer shop)
printf 'seconds\tdaemon\trss_kb\tfds\tthreads\tanswered\n' >"$out/soak.tsv"
t0=$(date +%s)
end=$((t0 + minutes * 60))
tw_log "soak: $minutes min, a sample every $interval s, into $out"
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(($(date +%s) - t0))
  answered=$(grep -c . "$T/acks")
  for d in "${daemons[@]}"; do
    pid=${E2E_PIDS[$d]}
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ -n "$rss" ] || { fail soak "$d is gone"; torture_load_stop; exit 1; }
    printf '%d\t%s\t%d\t%d\t%d\t%d\n' "$now" "$d" "$rss" "$fds" "$thr" "$answered" >>"$out/soak.tsv"
  done
  sleep "$interval"
done
torture_load_stop
ok=1
torture_final || ok=0

# The figures: first, last, peak, and the least-squares slope per hour over
# the second half of the samples.
{
  printf 'soak of %d min, %s operations answered: %s\n\n' "$minutes" "$(grep -c . "$T/acks")" "$(torture_counts)"
  printf '%-8s %-8s %10s %10s %10s %14s\n' daemon measure first last peak "growth/hour"
  for d in "${daemons[@]}"; do
    for col in 3:rss_kb 4:fds 5:threads; do
      awk -F'\t' -v d="$d" -v c="${col%%:*}" -v name="${col#*:}" -v half=$((minutes * 30)) '
        NR > 1 && $2 == d {
          if (n == 0) first = $c
          last = $c; if ($c > peak) peak = $c; n++
          if ($1 >= half) { m++; sx += $1; sy += $c; sxx += $1 * $1; sxy += $1 * $c }
        }
        END {
          slope = (m > 1 && m * sxx - sx * sx != 0) ? (m * sxy - sx * sy) / (m * sxx - sx * sx) * 3600 : 0
          printf "%-8s %-8s %10d %10d %10d %14.1f\n", d, name, first, last, peak, slope
        }' "$out/soak.tsv"
    done
  done
} >"$out/summary.txt"
cat "$out/summary.txt"

if command -v gnuplot >/dev/null; then
  awk -F'\t' 'NR > 1 { print > ("'"$out"'/soak-" $2 ".dat") }' "$out/soak.tsv"
  gnuplot <<EOF || ok=0
set terminal pngcairo size 1200,800 noenhanced
set output "$out/soak.png"
set multiplot layout 2,1 title "obol soak: $minutes min of mixed load ($(grep -c . "$T/acks") operations answered)"
set xlabel "seconds"
set ylabel "resident memory (KiB)"
set grid
set yrange [0:*]
plot "$out/soak-issuer.dat" using 1:3 with linespoints title "issuer", \
     "$out/soak-shop.dat" using 1:3 with linespoints title "vendor"
set ylabel "open descriptors, threads"
plot "$out/soak-issuer.dat" using 1:4 with lines title "issuer descriptors", \
     "$out/soak-shop.dat" using 1:4 with lines title "vendor descriptors", \
     "$out/soak-issuer.dat" using 1:5 with lines dashtype 2 title "issuer threads", \
     "$out/soak-shop.dat" using 1:5 with lines dashtype 2 title "vendor threads"
unset multiplot
EOF
  echo "plot: $out/soak.png"
else
  echo "no gnuplot: no plot (scripts/deps.sh soak installs it)"
fi
if [ $ok = 1 ]; then pass soak; else fail soak; fi
[ $ok = 1 ]
