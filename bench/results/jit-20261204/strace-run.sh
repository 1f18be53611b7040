#!/usr/bin/env bash
# strace -c over a burst of N after WARM: syscall counts per message
set -u
ROOT=${ROOT:-/tmp/bench-tree}; N=${N:-20000}; WARM=${WARM:-3000}; PORT=18396; SP=18397
H=/tmp/herald-harness/build
TOKEN=eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=
DATA=$(mktemp -d /tmp/herald-st-XXXXXX)
$H/sink $SP >/dev/null 2>&1 & SINK=$!
$ROOT/herald dev --port $PORT --data $DATA > /tmp/st-herald.log 2>&1 & HER=$!
for _ in $(seq 300); do curl -sf localhost:$PORT/readyz >/dev/null && break; sleep 0.2; done
pub() { curl -sf -X POST "localhost:$SP/__reset?run=$1&expect=$2" >/dev/null; $H/pub --host 127.0.0.1 --port $PORT --dest http://127.0.0.1:$SP/deliver --token $TOKEN --n $2 --conns 64 --run $1 --payload-bytes 64 >/dev/null;
  until [ "$(curl -sf localhost:$SP/__stats | sed -n 's/.*"unique":\([0-9]*\).*/\1/p')" -ge "$2" ]; do sleep 0.1; done; }
pub warm $WARM; sleep 2
strace -c -f -p $HER -o /tmp/strace.txt & ST=$!
sleep 1
pub burst $N
sleep 0.5
kill -INT $ST; wait $ST 2>/dev/null
kill $HER $SINK; wait $HER 2>/dev/null; rm -rf $DATA
