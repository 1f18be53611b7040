#!/usr/bin/env bash
# The long tier of the reliability and security battery (docs/guarantees.md, "How it is tested").
# Bounded: every step runs under `timeout`, the whole script stops after BATTERY_BUDGET seconds
# (default 2400). Prints one summary line per step and exits non-zero if any step failed.
#
#   scripts/battery-long.sh            # all steps
#   BATTERY_STEPS="crash fuzz" scripts/battery-long.sh
#
# Steps:
#   diskfull  R6: data dir on a 16 MiB tmpfs, filled until publishes get 503 + Retry-After, then freed
#             (needs root to mount; skipped, and reported as skipped, when mounting is not permitted)
#   crash     R1/R2/R3 (CrashTest) with 4 x 5000 publishes instead of 4 x 500
#   crashloop R4 (CrashLoopTest) with 30 SIGKILLs at random 1-3 s intervals instead of 6
#   cron      R21 in real time (ScheduleRestartTest): SIGKILL right after a cron slot fired, down across the
#             next slot, restart: no slot fires twice, the missed one fires once (about 2 min)
#   fuzz      ApiFuzzTest five times (five seeds, 1000 random requests)
#   fast      the whole fast tier once more (catches flakiness under a second run)
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-$(scripts/find-jdk.sh)}"
BUDGET="${BATTERY_BUDGET:-2400}"
STEPS="${BATTERY_STEPS:-diskfull crash crashloop cron fuzz fast}"
DEADLINE=$(( $(date +%s) + BUDGET ))
LOGDIR="${BATTERY_LOGS:-target/battery-long}"
mkdir -p "$LOGDIR"
: >"$LOGDIR/notes.txt"
declare -a SUMMARY=()
FAILED=0

remaining() { local r=$(( DEADLINE - $(date +%s) )); (( r > 0 )) && echo "$r" || echo 1; }

run_step() { # name, step timeout (s), maven args...
  local name="$1" limit="$2"; shift 2
  local left; left=$(remaining)
  (( limit > left )) && limit=$left
  local start; start=$(date +%s)
  timeout --kill-after=30 "$limit" mvn -B -o "$@" -Djunit.jupiter.execution.timeout.mode=disabled \
    >"$LOGDIR/$name.log" 2>&1
  local rc=$? secs=$(( $(date +%s) - start ))
  # the per-module totals ("Tests run: n, Failures: ..." lines without " in <class>")
  local tests; tests=$(grep -h "Tests run:" "$LOGDIR/$name.log" | grep -v " in " | sed 's/^\[[A-Z]*\] //' | paste -sd';' -)
  local verdict=PASS
  if (( rc == 124 || rc == 137 )); then verdict="TIMEOUT(${limit}s)"; FAILED=1
  elif (( rc != 0 )); then verdict=FAIL; FAILED=1
  elif grep -v " in " "$LOGDIR/$name.log" | grep -q "Skipped: [1-9]"; then verdict="PASS(with skips)"; fi
  grep -ho "^disk full:.*\|^overload statuses:.*\|crash loop: [0-9].*" "$LOGDIR/$name.log" | sed 's/^/          /' >>"$LOGDIR/notes.txt"
  SUMMARY+=("$(printf '%-9s %-16s %5ss  %s' "$name" "$verdict" "$secs" "$tests")")
}

mvn -B -q -o install -DskipTests >"$LOGDIR/build.log" 2>&1 || { echo "build failed, see $LOGDIR/build.log"; exit 1; }

for step in $STEPS; do
  case "$step" in
    diskfull) run_step diskfull 300 -pl server test -Dtest=DiskFullTest -Dherald.battery=long \
                -Dsurefire.failIfNoSpecifiedTests=false ;;
    crash)    run_step crash 1200 -pl server test -Dtest=CrashTest -Dherald.crash.per-publisher=5000 \
                -Dsurefire.failIfNoSpecifiedTests=false ;;
    crashloop) run_step crashloop 600 -pl server test -Dtest=CrashLoopTest -Dherald.crashloop.kills=30 \
                -Dsurefire.failIfNoSpecifiedTests=false ;;
    cron)     run_step cron 300 -pl server test -Dtest=ScheduleRestartTest -Dherald.battery=long \
                -Dsurefire.failIfNoSpecifiedTests=false ;;
    fuzz)     for i in 1 2 3 4 5; do
                run_step "fuzz-$i" 300 -pl server test -Dtest=ApiFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
              done ;;
    fast)     run_step fast 1500 -pl server -am test ;;
    *)        echo "unknown step $step"; exit 2 ;;
  esac
done

echo "== battery-long summary (logs in $LOGDIR) =="
printf '%s\n' "${SUMMARY[@]}"
[[ -s "$LOGDIR/notes.txt" ]] && cat "$LOGDIR/notes.txt"
exit $FAILED
