#!/usr/bin/env bash
# Builds the JMH module (bench/, profile jmh -> bench/target/benchmarks.jar) and runs it with few forks
# and iterations (sized for a 2-core host). Extra arguments go to JMH, e.g. a regex:
#   bench/jmh.sh                      # everything (~4 min)
#   bench/jmh.sh Signer               # one class
#   JMH_ARGS="-f 2 -wi 5 -i 10" bench/jmh.sh
# Store benchmarks fsync on the disk holding -Dbench.tmp (BENCH_TMP, default /tmp).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; ROOT="$(cd "$HERE/.." && pwd)"
JDK="$("$ROOT/scripts/find-jdk.sh")"; export JAVA_HOME="$JDK"
(cd "$ROOT" && mvn -B -q -DskipTests -Pjmh -pl bench -am package) >&2
OUT="$HERE/results/jmh-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$OUT"
# shellcheck disable=SC2086
"$JDK/bin/java" -jar "$HERE/target/benchmarks.jar" ${JMH_ARGS:--f 1 -wi 3 -w 3s -i 3 -r 3s} \
  -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Dbench.tmp=${BENCH_TMP:-/tmp}" \
  -rf json -rff "$OUT/jmh.json" "$@" | tee "$OUT/jmh.txt"
echo "results in $OUT" >&2
