#!/usr/bin/env bash
# Sourced: prepares a private copy of the shared side-by-side harness (read-only at $HARNESS_SRC)
# in $HARNESS_DIR: copies it, installs its npm dependencies, builds the C sink and publisher.
# Also the ports check. Nothing here is committed: the harness stays outside the repo.
HARNESS_SRC=${HARNESS_SRC:-/work/shared/bench}
HARNESS_DIR=${HARNESS_DIR:-/tmp/herald-harness}
export PERF_TMP=${PERF_TMP:-/tmp/herald-perf-tmp}

need_cmd() { # need_cmd CMD APT_PACKAGE: install with apt-get when missing (bare CI machines)
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing $2 (for $1)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >&2
  else
    echo "missing $1: apt-get install $2" >&2; return 1
  fi
}

prepare_harness() { # prepare_harness [npm]: copy, build C tools; with "npm" also install node modules
  [ -d "$HARNESS_SRC" ] || { echo "harness not found at $HARNESS_SRC (set HARNESS_SRC)" >&2; return 1; }
  need_cmd cc gcc
  mkdir -p "$HARNESS_DIR"
  # refresh the sources, keep node_modules and build/ between runs
  (cd "$HARNESS_SRC" && tar --exclude=./node_modules --exclude=./results --exclude=./build -cf - .) | (cd "$HARNESS_DIR" && tar -xf -)
  mkdir -p "$HARNESS_DIR/build"
  # the harness hard-codes its sink and peer ports (18081, 18090); make them settable so a run does not
  # collide with other servers on a shared host (SINK_PORT / PEER_PORT, defaults 18391 / 18390)
  sed -i 's#^const SINK_PORT = 18081, PEER_PORT = 18090;#const SINK_PORT = Number(process.env.BENCH_SINK_PORT || 18081), PEER_PORT = Number(process.env.BENCH_PEER_PORT || 18090);#' "$HARNESS_DIR/bench.js"
  grep -q BENCH_PEER_PORT "$HARNESS_DIR/bench.js" || { echo "could not patch harness ports" >&2; return 1; }
  cc -O2 -o "$HARNESS_DIR/build/sink" "$HARNESS_DIR/lib/sink.c"
  cc -O2 -o "$HARNESS_DIR/build/pub" "$HARNESS_DIR/lib/pub.c"
  # a variant of the publisher whose --dest is the whole request path (for /v2/enqueue/{queue}/{url})
  sed 's#"POST /v2/publish/%s HTTP/1.1#"POST %s HTTP/1.1#' "$HARNESS_DIR/lib/pub.c" > "$HARNESS_DIR/build/pubpath.c"
  grep -q '"POST %s HTTP/1.1' "$HARNESS_DIR/build/pubpath.c" || { echo "could not derive path publisher from pub.c" >&2; return 1; }
  cc -O2 -o "$HARNESS_DIR/build/pubpath" "$HARNESS_DIR/build/pubpath.c"
  if [ "${1:-}" = npm ]; then
    if [ ! -d "$HARNESS_DIR/node_modules/bullmq" ] || [ ! -d "$HARNESS_DIR/node_modules/pg-boss" ]; then
      # the shared lock file lacks optional platform packages, so `npm ci` refuses; fall back to install
      (cd "$HARNESS_DIR" && { npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null; })
    fi
  fi
}

port_free() { ! ss -ltn "( sport = :$1 )" 2>/dev/null | grep -q LISTEN; }
require_ports() {
  for p in "$@"; do port_free "$p" || { echo "port $p is in use (another benchmark running?)" >&2; return 1; }; done
}
