#!/usr/bin/env bash
# Runs every test: the Java suites (unit, property, HTTP, process and store tests) and the
# compatibility suite that drives Herald with the official @upstash/qstash SDK, on SQLite and on PostgreSQL.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA_HOME="$("$ROOT/scripts/find-jdk.sh")"
export JAVA_HOME
cd "$ROOT"
mvn -B -ntp verify
"$ROOT/compat/run.sh"
# The same suite with Herald on PostgreSQL (127.0.0.1:5432, a fresh database per test file).
"$ROOT/compat/run.sh" postgresql
# A short benchmark run that asserts only 0 lost and 0 duplicates (the numbers are in docs/performance.md).
"$ROOT/bench/smoke.sh"
