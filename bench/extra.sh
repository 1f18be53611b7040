#!/usr/bin/env bash
# More scenarios, no target yet (issue #7): 64 KiB and 1 MiB bodies, fan-out to a URL group of 10
# endpoints, and cluster mode on PostgreSQL (1 and 2 nodes). Prints a markdown table and writes it to
# bench/results/extra-<UTC stamp>/summary.md. Exits non-zero if any scenario loses or duplicates a
# message (3), cannot run (1), or a publish was refused or a scenario did not finish (4); the whole run
# is bounded by TIMEOUT_S.
#
#   bench/extra.sh                                   # all five scenarios, about 2.5 minutes on a 2-core host
#   SCENARIOS=body-64k,fanout-10 bench/extra.sh      # a subset
# Env: SCENARIOS (body-64k,body-1m,fanout-10,pg-1node,pg-2nodes) N_64K (5000) N_1M (300) N_FANOUT (5000)
#      N_PG (20000) CONNS (32; pg-2nodes gives each node half) WARMUP (1000) BASE_PORT (18600: Herald on
#      BASE_PORT and +1, sinks on +10..+19) PG_URL (postgresql://postgres@127.0.0.1:5432) PG_DB
#      (herald_bench_extra, dropped and re-created per scenario, dropped at the end) TIMEOUT_S (540)
#      SCENARIO_TIMEOUT_S (120) JFR=1 (a JFR recording per node in the results dir) HERALD_JAVA_OPTS HARNESS_SRC
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
# a private copy of the harness: the default /tmp/herald-harness may be rebuilt by another benchmark meanwhile
export HARNESS_DIR=${HARNESS_DIR:-/tmp/herald-harness-extra}
. "$HERE/lib/harness.sh"
need_cmd psql postgresql-client
BASE_PORT=${BASE_PORT:-18600}; PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432}; PG_DB=${PG_DB:-herald_bench_extra}
TIMEOUT_S=${TIMEOUT_S:-540}
VERSION="$("$ROOT/herald" version 2>/dev/null | tail -1)"   # builds the jar first if the sources changed
"$ROOT/herald" train >&2 || true # the JVM's AOT cache, before nodes are started and measured (no-op below JDK 25)
prepare_harness
# pub.c keeps the payload in an 8 KiB buffer and the whole request in a 4 KiB one: with --payload-bytes
# above about 3.7 KB it sends a truncated body padded with whatever memory follows the buffer. Build a
# copy with buffers large enough for 2 MiB payloads (only the buffer sizes change).
sed -e 's/char wb\[4096\]/char wb[(2 << 20) + 8192]/' -e 's/static char pad\[8192\]/static char pad[2 << 20]/' \
    -e 's/char body\[9000\]/static char body[(2 << 20) + 1024]/' "$HARNESS_DIR/lib/pub.c" > "$HARNESS_DIR/build/pubbig.c"
[ "$(grep -c '2 << 20' "$HARNESS_DIR/build/pubbig.c")" = 3 ] || { echo "could not derive the large-body publisher from pub.c" >&2; exit 1; }
cc -O2 -o "$HARNESS_DIR/build/pubbig" "$HARNESS_DIR/build/pubbig.c"

require_ports "$BASE_PORT" $((BASE_PORT + 1)) $(seq $((BASE_PORT + 10)) $((BASE_PORT + 19)))
psql -X -q -At "$PG_URL/postgres" -c 'select 1' >/dev/null || { echo "PostgreSQL not reachable at $PG_URL" >&2; exit 1; }
OUT="$HERE/results/extra-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
CMD="SCENARIOS=${SCENARIOS:-all} N_64K=${N_64K:-5000} N_1M=${N_1M:-300} N_FANOUT=${N_FANOUT:-5000} N_PG=${N_PG:-20000} CONNS=${CONNS:-32} WARMUP=${WARMUP:-1000} bench/extra.sh"

cleanup() { # whatever the node script left behind (it stops its processes itself; this is for a hard timeout)
  if [ -s "$OUT/pids" ]; then
    while read -r pid; do [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true; done < "$OUT/pids"
    sleep 3
    while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done < "$OUT/pids"
  fi
  psql -X -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf /tmp/herald-extra-data-"$BASE_PORT" /tmp/herald-extra-data-$((BASE_PORT + 1)) "$OUT/pids"
}
trap cleanup EXIT

set +e
timeout --signal=TERM --kill-after=30 "$TIMEOUT_S" node "$HERE/lib/extra.js" --tools "$HARNESS_DIR/build" --herald "$ROOT/herald" \
  --out "$OUT" --base-port "$BASE_PORT" --pg-url "$PG_URL" --pg-db "$PG_DB" \
  --scenarios "${SCENARIOS:-body-64k,body-1m,fanout-10,pg-1node,pg-2nodes}" \
  --n-64k "${N_64K:-5000}" --n-1m "${N_1M:-300}" --n-fanout "${N_FANOUT:-5000}" --n-pg "${N_PG:-20000}" \
  --conns "${CONNS:-32}" --warmup "${WARMUP:-1000}" --scenario-timeout-s "${SCENARIO_TIMEOUT_S:-120}" --jfr "${JFR:-0}" \
  --command "$CMD" --version "$VERSION (commit $(git -C "$ROOT" rev-parse --short HEAD))" --uptime "$(uptime)"
rc=$?
set -e
[ "$rc" = 124 ] && echo "extra.sh: hard timeout of ${TIMEOUT_S}s reached" >&2
echo "results: $OUT (exit $rc)" >&2
exit "$rc"
