#!/usr/bin/env bash
# `ringtrain estimate` against a measured `simulate --workers 2 --threads 1` on 127.0.0.1, model M
# (6 layers, width 384, context 256, batch 4 per worker), fp32 and bf16 on the wire. For each dtype:
# the ring's bus bandwidth at the model's gradient size (bench allreduce, 47 MiB) stands for the
# link; the run's median compute time per step (after warm-up) is the compute input; the
# prediction is set against the run's median step time (compute + all-reduce wait).
# Usage: bench/estimate-vs-simulate.sh [DATA_DIR] [STEPS]   (DATA_DIR: a tokenize output, vocab <= 4096)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-runs/demo/data}"
STEPS="${2:-12}"
WARMUP=4
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
rt() { RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" "$@"; }
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p" | head -1; }
MODEL=(--data "$DATA" --layers 6 --heads 6 --width 384 --context 256 --batch 4 --threads 1
       --steps "$STEPS" --eval-interval 0 --checkpoint-at 1 --log-interval 1000)
echo "| wire | ring busbw on the wire (GB/s) | compute ms | exposed ms measured / predicted | step ms measured | step ms predicted | predicted / measured | load before |"
echo "|---|---|---|---|---|---|---|---|"
for d in fp32 bf16; do
  load=$(cut -d' ' -f1 /proc/loadavg)
  bus=$(rt bench allreduce --workers 2 --mib 47 --iterations 10 --wire-dtype "$d" --json 2>/dev/null \
    | grep '{' | field wire_busbw_gbps)
  rt simulate --workers 2 "${MODEL[@]}" --wire-dtype "$d" --out "$OUT/$d" >/dev/null 2>&1
  read -r compute exposed < <(/usr/bin/env python3 - "$OUT/$d/metrics.jsonl" "$WARMUP" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l][int(sys.argv[2]):]
print(statistics.median(r["compute_ms"] for r in rows), statistics.median(r["allreduce_ms"] for r in rows))
PY
)
  gbit=$(awk -v b="$bus" 'BEGIN { printf "%.6f", b * 8 }')
  predicted=$(rt estimate --model M --compute-ms "$compute" --workers 2 --wire-dtype "$d" \
    --link-gbit "$gbit" --latency-us 0 --json 2>/dev/null | grep "{")
  awk -v d="$d" -v bus="$bus" -v c="$compute" -v e="$exposed" -v l="$load" \
    -v pe="$(echo "$predicted" | field exposed_ms)" -v ps="$(echo "$predicted" | field step_ms)" \
    'BEGIN { m = c + e; printf "| %s | %.3f | %.0f | %.0f / %.0f | %.0f | %.0f | %.2f | %s |\n", d, bus, c, e, pe, m, ps, ps / m, l }'
done
