#!/usr/bin/env bash
# 1,000,000 pending delayed messages: Herald RSS, data dir size, restart -> /readyz 200 time, and nothing
# lost (after the restart DELETE /v2/messages must cancel all N; exit 4 if not).
#   bench/footprint.sh            # N=1000000 (published through /v2/batch, 1000 per request)
# Env: N PORT (18384) TIMEOUT_S (1800) HERALD_JAVA_OPTS
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib/harness.sh"
"$ROOT/herald" version >&2
"$ROOT/herald" train >&2 || true # the JVM's AOT cache, before Herald is started and measured (no-op below JDK 25)
PORT=${PORT:-18384}; require_ports "$PORT"
OUT="$HERE/results/footprint-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
echo "command: N=${N:-1000000} bench/footprint.sh; HERALD_JAVA_OPTS=${HERALD_JAVA_OPTS:-<default>}; nproc=$(nproc) kernel=$(uname -r)" > "$OUT/run.txt"
exec timeout --signal=TERM --kill-after=30 "${TIMEOUT_S:-1800}" node "$HERE/lib/footprint.js" --launcher "$ROOT/herald" \
  --n "${N:-1000000}" --port "$PORT" --out "$OUT/footprint.jsonl" --log "$OUT/herald.log"
