#!/usr/bin/env bash
# Durable publish acks/s into a PAUSED queue (POST /v2/enqueue/{queue}/{url}, 2xx only after fsync),
# then the drain rate after resume (queue parallelism PARALLELISM), to the harness's C sink.
# Exits non-zero if any message is lost or duplicated, or was delivered while paused.
#
#   bench/ingest.sh                          # N=20000 CONNS=64 PARALLELISM=200
# Env: N CONNS PARALLELISM PORT (18381) SINK_PORT (18082) TIMEOUT_S (300) HERALD_JAVA_OPTS HARNESS_SRC
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib/harness.sh"
N=${N:-20000}; CONNS=${CONNS:-64}; PARALLELISM=${PARALLELISM:-200}; PORT=${PORT:-18381}; SINK_PORT=${SINK_PORT:-18082}
"$ROOT/herald" version >&2
"$ROOT/herald" train >&2 || true # the JVM's AOT cache, before Herald is started and measured (no-op below JDK 25)
prepare_harness
require_ports "$PORT" "$SINK_PORT"
OUT="$HERE/results/ingest-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
echo "command: N=$N CONNS=$CONNS PARALLELISM=$PARALLELISM bench/ingest.sh; HERALD_JAVA_OPTS=${HERALD_JAVA_OPTS:-<default>}; nproc=$(nproc) kernel=$(uname -r)" > "$OUT/run.txt"
exec timeout --signal=TERM --kill-after=30 "${TIMEOUT_S:-300}" node "$HERE/lib/ingest.js" --tools "$HARNESS_DIR/build" --sut "$HERE/lib/sut.sh" \
  --n "$N" --conns "$CONNS" --parallelism "$PARALLELISM" --port "$PORT" --sink-port "$SINK_PORT" \
  --timeout-s "$(( ${TIMEOUT_S:-300} - 30 ))" --out "$OUT/ingest.jsonl" --log-dir "$OUT"
