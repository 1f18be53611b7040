#!/usr/bin/env bash
# Starts Herald for one benchmark bring-up from an EMPTY data directory (fairness rule 5).
# Usage: sut.sh PORT DATA_DIR. HERALD_JAVA_OPTS and HERALD_JAVA_OPTS_EXTRA (e.g. a JFR recording) pass through to the launcher.
# SUT=relay or SUT=netty-relay starts a relay instead (bench/src/.../Relay.java, NettyRelay.java: the HTTP
# stack's ceiling, nothing stored), with the launcher's default JVM options; peers.sh builds its jar.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="$1"; DATA="$2"
case "$DATA" in /tmp/*) rm -rf "$DATA" ;; *) echo "sut.sh: data dir must be under /tmp" >&2; exit 2 ;; esac
case "${SUT:-herald}" in
  herald) exec "$ROOT/herald" dev --port "$PORT" --data "$DATA" ;;
  relay|netty-relay)
    MAIN=dev.herald.bench.Relay; [ "$SUT" = netty-relay ] && MAIN=dev.herald.bench.NettyRelay
    OPTS=$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' "$ROOT/herald")
    # shellcheck disable=SC2086
    exec "$("$ROOT/scripts/find-jdk.sh")/bin/java" ${HERALD_JAVA_OPTS:-$OPTS} ${HERALD_JAVA_OPTS_EXTRA:-} \
      -cp "$ROOT/bench/target/benchmarks.jar" "$MAIN" "$PORT" ;;
  *) echo "sut.sh: SUT is herald, relay or netty-relay" >&2; exit 2 ;;
esac
