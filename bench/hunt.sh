#!/usr/bin/env bash
# Throughput of `debrief hunt` over ../shared/data/evtx with the SigmaHQ rules, and — when
# CHAINSAW=, HAYABUSA= or RSIGMA= name those programs — theirs on the same files in the same run.
#   bench/hunt.sh [EVTX_DIR] [RULES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
EVTX=${1:-../shared/data/evtx}
RULES=${2:-../shared/data/sigma/rules}
RUNS=${RUNS:-5}
cargo build --release -q -p debrief
BIN=${CARGO_TARGET_DIR:-target}/release/debrief
bytes=$(find "$EVTX" -name '*.evtx' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "input: $(find "$EVTX" -name '*.evtx' | wc -l) files, $((bytes / 1024 / 1024)) MiB; rules: $RULES"

best=""
for i in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    "$BIN" hunt "$EVTX" --rules "$RULES" --format jsonl -o /dev/null 2> target/hunt-summary.txt
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
events=$(head -1 target/hunt-summary.txt | sed -E 's/.* ([0-9]+) event\(s\).*/\1/')
echo "debrief: best of $RUNS runs $(printf '%.2f' "$best") s wall (rule loading included), $events events"
echo "         $(echo "$events / $best" | bc) events/s, $(echo "$bytes / 1048576 / $best" | bc -l | xargs printf '%.1f') MiB/s"
head -1 target/hunt-summary.txt
/usr/bin/time -f "debrief peak RSS: %M KiB" "$BIN" hunt "$EVTX" --rules "$RULES" --format jsonl -o /dev/null 2>&1 | tail -1

peer() {
    local name=$1; shift
    local start end t
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || echo "($name exited non-zero)"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    echo "$name: $(printf '%.2f' "$t") s wall → debrief is $(echo "$t / $best" | bc -l | xargs printf '%.1f')× faster"
}
peer_rss() {
    local name=$1; shift
    /usr/bin/time -f "$name peak RSS: %M KiB" "$@" 2>&1 > /dev/null | tail -1
}
if [ -n "${CHAINSAW:-}" ]; then
    # chainsaw's own Sigma mapping, from its source tree.
    MAP=${CHAINSAW_MAPPING:-$(dirname "$CHAINSAW")/../../chainsaw/mappings/sigma-event-logs-all.yml}
    [ -f "$MAP" ] || { echo "set CHAINSAW_MAPPING to chainsaw's mappings/sigma-event-logs-all.yml" >&2; exit 2; }
    peer chainsaw "$CHAINSAW" hunt "$EVTX" -s "$RULES" --mapping "$MAP" --json -q
    peer_rss chainsaw "$CHAINSAW" hunt "$EVTX" -s "$RULES" --mapping "$MAP" --json -q
    # Agreement: the (rule, record) hits of both on the same files and rules.
    "$BIN" hunt "$EVTX" --rules "$RULES" --format jsonl -o target/hunt-debrief.jsonl 2> /dev/null
    "$CHAINSAW" hunt "$EVTX" -s "$RULES" --mapping "$MAP" --json -q > target/hunt-chainsaw.json 2> /dev/null
    "$CHAINSAW" lint --kind sigma "$RULES" > target/hunt-chainsaw-lint.txt 2>&1 || true
    python3 bench/agree_chainsaw.py target/hunt-debrief.jsonl target/hunt-chainsaw.json \
        target/hunt-chainsaw-lint.txt "$RULES" "$MAP"
fi
if [ -n "${HAYABUSA:-}" ]; then
    # hayabusa reads its own conversion of the SigmaHQ rules (hayabusa-rules/sigma): given the
    # raw SigmaHQ files it loads them but they carry no channel condition, and it reports 5 hits.
    HRULES=${HAYABUSA_RULES:-$(dirname "$HAYABUSA")/rules/sigma}
    peer hayabusa "$HAYABUSA" dfir-timeline -d "$EVTX" -r "$HRULES" -w -q -N -C -o /dev/null -t jsonl
    peer_rss hayabusa "$HAYABUSA" dfir-timeline -d "$EVTX" -r "$HRULES" -w -q -N -C -o /dev/null -t jsonl
fi
if [ -n "${RSIGMA:-}" ]; then
    # The rsigma CLI reads JSON events, not Debrief's reader output: give both the same
    # flattened events as one NDJSON file and time each over it.
    cargo build --release -q -p debrief-detect --example dump_events
    "${CARGO_TARGET_DIR:-target}/release/examples/dump_events" "$EVTX" > target/hunt-events.ndjson
    start=$(date +%s.%N)
    "$BIN" hunt target/hunt-events.ndjson --rules "$RULES" --format jsonl -o /dev/null 2> /dev/null
    end=$(date +%s.%N)
    mine=$(echo "$end - $start" | bc -l)
    start=$(date +%s.%N)
    "$RSIGMA" engine eval -r "$RULES" -e @target/hunt-events.ndjson -q --output-format ndjson > /dev/null 2>&1 || echo "(rsigma exited non-zero)"
    end=$(date +%s.%N)
    theirs=$(echo "$end - $start" | bc -l)
    echo "same $(wc -l < target/hunt-events.ndjson) events as NDJSON: debrief $(printf '%.2f' "$mine") s, rsigma $(printf '%.2f' "$theirs") s → debrief is $(echo "$theirs / $mine" | bc -l | xargs printf '%.1f')× faster"
fi
