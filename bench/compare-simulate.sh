#!/usr/bin/env bash
# Data parallelism's overhead on one machine: `simulate --workers 2 --threads 1` against `train
# --threads 2` on the same model and global batch, tokens/s over the steps after warm-up (from
# metrics.jsonl's unix_ms). Usage: bench/compare-simulate.sh [DATA_DIR] [STEPS]
# DATA_DIR defaults to runs/demo/data (`bin/ringtrain demo` writes it). Model M: 6 layers, 6 heads,
# width 384, context 256, global batch 8.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-runs/demo/data}"
STEPS="${2:-20}"
WARMUP=5
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
MODEL=(--data "$DATA" --layers 6 --heads 6 --width 384 --context 256 --steps "$STEPS" --eval-interval 0
       --checkpoint-at 1 --log-interval 1000)
rate() { # tokens/s between step WARMUP and the last step
  /usr/bin/env python3 "$ROOT/bench/run_rate.py" "$1" "$WARMUP"
}
RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" train "${MODEL[@]}" --batch 8 --threads 2 --out "$OUT/train" >/dev/null 2>&1
RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" simulate --workers 2 "${MODEL[@]}" --batch 4 --threads 1 --out "$OUT/sim" >/dev/null 2>&1
t=$(rate "$OUT/train/metrics.jsonl")
s=$(rate "$OUT/sim/metrics.jsonl")
echo "| model | train, 2 threads (tokens/s) | simulate, 2 workers x 1 thread (tokens/s) | ratio |"
echo "|---|---|---|---|"
awk -v t="$t" -v s="$s" 'BEGIN { printf "| M | %.0f | %.0f | %.2f |\n", t, s, s / t }'
