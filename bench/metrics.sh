#!/usr/bin/env bash
# Program metrics over 100,000 incidents: reading their facts and computing every figure.
#   bench/metrics.sh                 SQLite (data kept in target/bench/metrics-N.db between runs)
#   bench/metrics.sh postgres://…    PostgreSQL (an empty database; it is filled on the first run)
# Optional: INCIDENTS=… RUNS=… to change the size.
set -euo pipefail
cd "$(dirname "$0")/.."
INCIDENTS=${INCIDENTS:-100000}
RUNS=${RUNS:-30}
mkdir -p target/bench
URL=${1:-sqlite://$PWD/target/bench/metrics-$INCIDENTS.db}
# The data load skips fsync on SQLite (the query is what is measured; production keeps FULL).
export DEBRIEF_SQLITE_SYNCHRONOUS=off
cargo run --release -q -p debrief-store --example metrics_bench -- "$URL" "$INCIDENTS" "$RUNS"
