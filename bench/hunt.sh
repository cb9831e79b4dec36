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
if [ -n "${CHAINSAW:-}" ]; then
    peer chainsaw "$CHAINSAW" hunt "$EVTX" -s "$RULES" --mapping "${CHAINSAW_MAPPING:?set CHAINSAW_MAPPING to the sigma-event-logs-all.yml mapping of chainsaw}" --json
fi
if [ -n "${HAYABUSA:-}" ]; then
    peer hayabusa "$HAYABUSA" json-timeline -d "$EVTX" -o /dev/null -w -q
fi
if [ -n "${RSIGMA:-}" ]; then
    echo "rsigma: evaluate JSON events with its CLI and compare by hand (it reads JSON, not EVTX)"
fi
