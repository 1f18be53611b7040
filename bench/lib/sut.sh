#!/usr/bin/env bash
# Starts Herald for one benchmark bring-up from an EMPTY data directory (fairness rule 5).
# Usage: sut.sh PORT DATA_DIR. HERALD_JAVA_OPTS and HERALD_JAVA_OPTS_EXTRA (e.g. a JFR recording) pass through to the launcher.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="$1"; DATA="$2"
case "$DATA" in /tmp/*) rm -rf "$DATA" ;; *) echo "sut.sh: data dir must be under /tmp" >&2; exit 2 ;; esac
exec "$ROOT/herald" dev --port "$PORT" --data "$DATA"
