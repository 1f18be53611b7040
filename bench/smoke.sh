#!/usr/bin/env bash
# CI smoke of the benchmark (about 10 s of load): Herald alone; asserts only 0 lost and 0 duplicates.
# Works on a bare Debian/Ubuntu machine: installs what is missing with apt-get (as root).
# Env: N (3000) CONC (32) PORT (18382) SINK_PORT (18083)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
. "$HERE/lib/harness.sh"   # for need_cmd / require_ports only; the smoke does not use the shared harness
need_cmd node nodejs
need_cmd mvn maven
if ! "$ROOT/scripts/find-jdk.sh" >/dev/null 2>&1; then
  need_cmd __no_such_cmd__ openjdk-21-jdk-headless || true
fi
"$ROOT/herald" version >&2
"$ROOT/herald" train >&2 || true # the JVM's AOT cache now, not inside the smoke's time bound (no-op below JDK 25)
PORT=${PORT:-18382}; SINK_PORT=${SINK_PORT:-18083}
require_ports "$PORT" "$SINK_PORT"
exec timeout --signal=TERM --kill-after=20 120 node "$HERE/lib/smoke.js" --sut "$HERE/lib/sut.sh" \
  --n "${N:-3000}" --conc "${CONC:-32}" --port "$PORT" --sink-port "$SINK_PORT" --log "${SMOKE_LOG:-/tmp/herald-smoke.log}"
