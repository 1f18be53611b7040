#!/usr/bin/env bash
# JFR profile of Herald under one harness scenario (default: the 20,000-message burst), sut only.
#   bench/profile.sh                 # SCENARIOS=burst
#   SCENARIOS=rate bench/profile.sh
# Writes the recording(s) and `jfr view` reports (hot-methods, cpu-load, gc, ...) to bench/results/profile-*/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
JDK="$("$ROOT/scripts/find-jdk.sh")"
OUT="$HERE/results/profile-${SCENARIOS:-burst}-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
export HERALD_JAVA_OPTS_EXTRA="-XX:StartFlightRecording=filename=$OUT/herald-%p.jfr,settings=profile,dumponexit=true"
SYSTEMS=sut ROUNDS=1 SCENARIOS=${SCENARIOS:-burst} RETRIES=0 "$HERE/peers.sh" | tee "$OUT/peers.txt"
for f in "$OUT"/herald-*.jfr; do
  for v in hot-methods cpu-load-samples gc allocation-by-class contention-by-site thread-cpu-load; do
    "$JDK/bin/jfr" view --width 200 "$v" "$f" > "$OUT/$(basename "$f" .jfr)-$v.txt" 2>&1 || true
  done
done
echo "profile in $OUT" >&2
