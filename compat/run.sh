#!/usr/bin/env bash
# Runs the SDK compatibility suite: installs the pinned @upstash/qstash when needed, makes sure
# the Herald jar is built, then runs every test in test/ with Node's built-in test runner.
set -euo pipefail
COMPAT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$COMPAT"

JAVA_HOME="$("$COMPAT/../scripts/find-jdk.sh")"
export JAVA_HOME

if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund
fi

../herald version >/dev/null

npm test
