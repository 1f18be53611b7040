#!/usr/bin/env bash
# Runs the SDK compatibility suite: installs the pinned @upstash/qstash when needed, makes sure
# the Herald jar is built, then runs every test in test/ with Node's built-in test runner.
#
#   compat/run.sh              Herald on SQLite (a fresh data directory per test file)
#   compat/run.sh postgresql   Herald on PostgreSQL, 127.0.0.1:5432, user postgres (a fresh database
#                              per test file, dropped afterwards); or a base URL such as
#                              postgresql://user@host:5432 (no database name). Needs psql.
set -euo pipefail
COMPAT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$COMPAT"

STORE="${1:-${HERALD_COMPAT_STORE:-sqlite}}"
case "$STORE" in
  sqlite) unset HERALD_COMPAT_STORE ;;
  postgres*) export HERALD_COMPAT_STORE="$STORE"
    command -v psql >/dev/null || { echo "compat/run.sh: the PostgreSQL run needs psql" >&2; exit 2; } ;;
  *) echo "compat/run.sh: unknown store '$STORE' (sqlite, postgresql or postgresql://user@host:port)" >&2; exit 2 ;;
esac

JAVA_HOME="$("$COMPAT/../scripts/find-jdk.sh")"
export JAVA_HOME

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
fi

../herald version >/dev/null

echo "compat: Herald on $STORE"
npm test
