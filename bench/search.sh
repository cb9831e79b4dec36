#!/usr/bin/env bash
# Search and filtered-list latency with 100,000 incidents and 1,000,000 timeline entries.
#   bench/search.sh                 SQLite (data kept in target/bench/search.db between runs)
#   bench/search.sh postgres://…    PostgreSQL (an empty database; it is filled on the first run)
# Optional: INCIDENTS=… PER=… RUNS=… to change the size.
set -euo pipefail
cd "$(dirname "$0")/.."
INCIDENTS=${INCIDENTS:-100000}
PER=${PER:-10}
RUNS=${RUNS:-300}
mkdir -p target/bench
URL=${1:-sqlite://$PWD/target/bench/search-$INCIDENTS.db}
# The data load skips fsync on SQLite (queries are what is measured; production keeps FULL).
export DEBRIEF_SQLITE_SYNCHRONOUS=off
cargo run --release -q -p debrief-store --example search_bench -- "$URL" "$INCIDENTS" "$PER" "$RUNS"
