#!/usr/bin/env bash
# Where Herald's CPU goes during a burst, per thread group (JIT compiler threads, virtual-thread carriers,
# the writer...), read from /proc/PID/task/*/stat before and after. Herald alone, harness C publisher and sink.
#   bench/threads.sh                   # N=20000 after a 3,000-message warm-up (as the harness's burst)
#   N=100000 bench/threads.sh          # closer to steady state
#   HERALD_JAVA_OPTS_EXTRA=-XX:TieredStopAtLevel=1 bench/threads.sh   # added to the launcher's defaults
#   SUT=relay bench/threads.sh         # the ceiling: Herald's HTTP stack with nothing between (bench/.../Relay.java)
#   SUT=netty-relay bench/threads.sh   # the same on an event-loop stack (Netty, epoll): NettyRelay.java
# Env: N WARM (3000) CONNS (64) PAYLOAD (64 bytes) PORT (18386) SINK_PORT (18387) TIMEOUT_S (600) HERALD_JAVA_OPTS HERALD_JAVA_OPTS_EXTRA
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib/harness.sh"
N=${N:-20000}; WARM=${WARM:-3000}; CONNS=${CONNS:-64}; PORT=${PORT:-18386}; SINK_PORT=${SINK_PORT:-18387}
TOKEN=eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=
SUT=${SUT:-herald}
if [ "$SUT" != herald ]; then
  # a relay (lib/sut.sh): the launcher's default JVM options, no AOT cache (compare with HERALD_AOT=off)
  (cd "$ROOT" && JAVA_HOME="$("$ROOT/scripts/find-jdk.sh")" mvn -B -q -DskipTests -Pjmh -pl bench -am package) >&2
else
  "$ROOT/herald" version >&2
  "$ROOT/herald" train >&2 || true # the JVM's AOT cache, before Herald is started and measured (no-op below JDK 25)
fi
prepare_harness
require_ports "$PORT" "$SINK_PORT"
need_cmd curl curl
OUT="$HERE/results/threads-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"; DATA=$(mktemp -d /tmp/herald-threads-XXXXXX)
echo "command: SUT=$SUT N=$N WARM=$WARM CONNS=$CONNS bench/threads.sh; HERALD_JAVA_OPTS=${HERALD_JAVA_OPTS:-<default>} HERALD_JAVA_OPTS_EXTRA=${HERALD_JAVA_OPTS_EXTRA:-} HERALD_AOT=${HERALD_AOT:-on}; load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$ROOT" rev-parse --short HEAD)" > "$OUT/run.txt"
"$HARNESS_DIR/build/sink" "$SINK_PORT" >/dev/null 2>&1 & SINK=$!
SUT="$SUT" "$HERE/lib/sut.sh" "$PORT" "$DATA" > "$OUT/herald.log" 2>&1 & HERALD=$!
cleanup() { kill "$HERALD" "$SINK" 2>/dev/null || true; wait "$HERALD" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
deadline=$(( $(date +%s) + ${TIMEOUT_S:-600} ))
for _ in $(seq 300); do curl -sf "localhost:$PORT/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "localhost:$PORT/readyz" >/dev/null || { echo "$SUT did not become ready" >&2; exit 1; }
PID=$HERALD # the launcher execs java
# thread name -> utime+stime ticks, names with their trailing numbers folded (ForkJoinPool-1-worker-3 -> ForkJoinPool-1-worker)
snap() { for t in /proc/$PID/task/*; do printf '%s %s\n' "$(tr ' ' '_' < "$t/comm")" "$(cut -d')' -f2 "$t/stat" | awk '{print $12 + $13}')"; done |
  awk '{n=$1; sub(/[-_]?[0-9]*[-_]?$/, "", n); c[n]+=$2} END {for (k in c) print k, c[k]}' | sort; }
unique() { curl -sf "localhost:$SINK_PORT/__stats" | sed -n 's/.*"unique":\([0-9]*\).*/\1/p'; }
publish() { # publish RUN COUNT, then wait until the sink saw COUNT unique
  curl -sf -X POST "localhost:$SINK_PORT/__reset?run=$1&expect=$2" >/dev/null
  "$HARNESS_DIR/build/pub" --host 127.0.0.1 --port "$PORT" --dest "http://127.0.0.1:$SINK_PORT/deliver" --token "$TOKEN" \
    --n "$2" --conns "$CONNS" --run "$1" --payload-bytes "${PAYLOAD:-64}" > "$OUT/pub-$1.json"
  until [ "$(unique)" -ge "$2" ]; do [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for deliveries" >&2; exit 1; }; sleep 0.1; done
}
publish warm "$WARM"; sleep 2
ut() { cut -d')' -f2 "/proc/$PID/stat" | awk '{print $12, $13}'; } # the whole process: user and system ticks
# the writer's commits and writes (operations) so far, from /metrics
writer() { { curl -sf "localhost:$PORT/metrics" || true; } | awk '/^herald_store_commits_total/ {c=$2} /^herald_store_writes_total/ {w=$2} END {printf "%d %d\n", c, w}'; }
w0=$(writer); ut0=$(ut); snap > "$OUT/before.txt"; t0=$(date +%s.%N)
publish burst "$N"
t1=$(date +%s.%N); snap > "$OUT/after.txt"; ut1=$(ut); w1=$(writer)
stats=$(curl -sf "localhost:$SINK_PORT/__stats")
dups=$(echo "$stats" | sed -n 's/.*"dup":\([0-9]*\).*/\1/p')
hz=$(getconf CLK_TCK)
{
  echo "| thread group | CPU ms per delivered message | share |"
  echo "|---|---|---|"
  join "$OUT/before.txt" "$OUT/after.txt" | awk -v n="$N" -v hz="$hz" '{d=$3-$2; if (d>0) {t+=d; r[$1]=d}} END {for (k in r) printf "| %s | %.3f | %.0f%% |\n", k, r[k]*1000/hz/n, 100*r[k]/t; printf "| **all** | **%.3f** | 100%% |\n", t*1000/hz/n}' | sort -t'|' -k3 -r
  echo
  echo "$ut0 $ut1" | awk -v n="$N" -v hz="$hz" '{printf "user %.3f + system (kernel) %.3f ms per delivered message\n\n", ($3-$1)*1000/hz/n, ($4-$2)*1000/hz/n}'
  echo "$w0 $w1" | awk -v n="$N" '{c=$3-$1; w=$4-$2; if (c>0) printf "writer: %d commits, %d writes (%.1f per commit), %.2f commits per delivered message\n\n", c, w, w/c, c/n}'
  echo "$N delivered in $(echo "$t1 - $t0" | bc) s ($(echo "$N / ($t1 - $t0)" | bc) /s), duplicates ${dups:-?}; HERALD_JAVA_OPTS=${HERALD_JAVA_OPTS:-<default>} HERALD_JAVA_OPTS_EXTRA=${HERALD_JAVA_OPTS_EXTRA:-} $([ "$SUT" = herald ] && echo "HERALD_AOT=${HERALD_AOT:-on}" || echo "SUT=$SUT (no AOT cache)")"
} | tee "$OUT/summary.md"
[ "${dups:-1}" = 0 ] || { echo "duplicates: $dups" >&2; exit 3; }
