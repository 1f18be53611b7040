#!/usr/bin/env bash
# Side-by-side comparison in ONE run: Herald (`sut`) vs bullmq:http vs pgboss:http, using the shared
# harness (copied to a temp dir, never committed). Builds Herald first. Writes the harness summary to
# bench/results/<timestamp>/ and prints the table.
#
#   bench/peers.sh                       # defaults below (README's settings, 3 rounds)
#   ROUNDS=1 N=20000 bench/peers.sh      # quicker
#
# Env: ROUNDS (3) N (20000) LAT_N (5000) RATE (500) SCENARIOS (burst,rate,delayed)
#      SYSTEMS (sut,bullmq:http,pgboss:http) SUT_PORT (18380) SINK_PORT (18391) PEER_PORT (18390) PEERS_TIMEOUT_S (3600, hard bound)
#      SUT (herald; relay or netty-relay: a relay with nothing stored in Herald's place, see lib/sut.sh)
#      HERALD_JAVA_OPTS (replaces the launcher's JVM options) HERALD_JAVA_OPTS_EXTRA (added to them, e.g. a JFR recording) HARNESS_SRC HARNESS_DIR PERF_TMP
# Herald runs in its only mode: SQLite WAL, synchronous=FULL, fsync before every 2xx.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib/harness.sh"
ROUNDS=${ROUNDS:-3}; N=${N:-20000}; LAT_N=${LAT_N:-5000}; RATE=${RATE:-500}
SCENARIOS=${SCENARIOS:-burst,rate,delayed}; SYSTEMS=${SYSTEMS:-sut,bullmq:http,pgboss:http}
SUT_PORT=${SUT_PORT:-18380}; PEERS_TIMEOUT_S=${PEERS_TIMEOUT_S:-3600}
DEV_TOKEN=eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
HEAD_AT_START=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo '+dirty')
OUT="$HERE/results/$STAMP"

echo "== building Herald" >&2
"$ROOT/herald" version >&2
"$ROOT/herald" train >&2 || true # the JVM's AOT cache, before the harness starts Herald (no-op below JDK 25)
if [ "${SUT:-herald}" != herald ]; then
  (cd "$ROOT" && JAVA_HOME="$("$ROOT/scripts/find-jdk.sh")" mvn -B -q -DskipTests -Pjmh -pl bench -am package) >&2
fi
echo "== preparing harness in $HARNESS_DIR" >&2
need_cmd redis-server redis-server; need_cmd psql postgresql
prepare_harness npm
export BENCH_SINK_PORT=${SINK_PORT:-18391} BENCH_PEER_PORT=${PEER_PORT:-18390}
require_ports "$BENCH_SINK_PORT" "$BENCH_PEER_PORT" 16379 15432 "$SUT_PORT"

RAWOUT="$HARNESS_DIR/results/$STAMP"
set +e
timeout --signal=INT --kill-after=60 "$PEERS_TIMEOUT_S" node "$HARNESS_DIR/bench.js" \
  --systems "$SYSTEMS" --ref bullmq:http --scenarios "$SCENARIOS" \
  --rounds "$ROUNDS" --n "$N" --lat-n "$LAT_N" --rate "$RATE" \
  --pgboss-workers 4 --pgboss-batch 500 --bullmq-concurrency 100 \
  --quiet-wait-s "${QUIET_WAIT_S:-20}" --retries "${RETRIES:-1}" --max-foreign "${MAX_FOREIGN:-0.3}" \
  --sut-cmd "$HERE/lib/sut.sh $SUT_PORT /tmp/herald-bench-data-$SUT_PORT" \
  --sut-base "http://127.0.0.1:$SUT_PORT" --sut-token "$DEV_TOKEN" --sut-ready-path /readyz \
  --out "$RAWOUT"
rc=$?
set -e
mkdir -p "$OUT"
for f in summary.md summary.json machine.json bench.log raw.jsonl; do [ -f "$RAWOUT/$f" ] && cp "$RAWOUT/$f" "$OUT/"; done
{
  echo "command: SUT=${SUT:-herald} ROUNDS=$ROUNDS N=$N LAT_N=$LAT_N RATE=$RATE SCENARIOS=$SCENARIOS SYSTEMS=$SYSTEMS bench/peers.sh"
  echo "herald: $HEAD_AT_START (HEAD when the run started), durability: SQLite WAL synchronous=FULL (fsync before every 2xx)"
  echo "machine: nproc=$(nproc) mem=$(free -m | awk '/Mem:/{print $2" MiB"}') kernel=$(uname -r) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "HERALD_JAVA_OPTS=${HERALD_JAVA_OPTS:-<launcher default>} HERALD_JAVA_OPTS_EXTRA=${HERALD_JAVA_OPTS_EXTRA:-}"
  echo "exit: $rc"
} > "$OUT/run.txt"
echo "== results in $OUT" >&2
echo "(table above; copy in $OUT/summary.md)" >&2
exit $rc
