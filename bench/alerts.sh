#!/usr/bin/env bash
# Sustained alert intake over HTTP on loopback with SQLite: starts `debrief serve` on a fresh
# data directory and runs the alert_load example against it.
#   bench/alerts.sh [SECONDS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${1:-10}
CONC=${2:-32}
cargo build --release -q -p debrief --bin debrief --example alert_load
T=${CARGO_TARGET_DIR:-target}/release
DATA=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
"$T/debrief" --data-dir "$DATA" user add bench --role manager > /dev/null
TOKEN=$("$T/debrief" --data-dir "$DATA" token create --user bench --name load | grep '^dbf_')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$T/debrief" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" > /dev/null 2>&1 &
PID=$!
for _ in $(seq 200); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
"$T/examples/alert_load" "http://127.0.0.1:$PORT" "$TOKEN" "$SECONDS_" "$CONC"
