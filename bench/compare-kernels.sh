#!/usr/bin/env bash
# ringtrain's kernels next to PyTorch's, one model's step shapes, measured back to back.
#
# Runs  bin/ringtrain bench kernels --model X --threads N --json   (JMH, a forked JVM per kernel)
# then  /usr/bin/python3 bench/pytorch/kernels.py --model X --threads N
# and prints a Markdown table: each kernel's ms per call and GFLOP/s on both sides and the ratio
# PyTorch ms / ringtrain ms (above 1: ringtrain is faster). The load average is printed before
# and after: this 2-core machine is often shared, so compare rows of one run only.
#
# Usage: bench/compare-kernels.sh [--model S|M|L] [--threads N] [--only REGEX]
# Environment: PYTHON (default /usr/bin/python3, Debian's, which sees python3-torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
MODEL=M
THREADS=2
ONLY=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --only) ONLY=(--only "$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-kernels.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "compare-kernels.sh: $PYTHON cannot import torch; install it with:" \
    "apt-get install -y python3-torch libopenblas0-openmp" >&2
  exit 3
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ROOT/bin/ringtrain" bench kernels --model "$MODEL" --threads "$THREADS" "${ONLY[@]}" --json \
  2>/dev/null > "$TMP/ringtrain.jsonl"
(cd "$ROOT/bench/pytorch" && "$PYTHON" kernels.py --model "$MODEL" --threads "$THREADS") > "$TMP/torch.jsonl"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PYTHON" - "$TMP/ringtrain.jsonl" "$TMP/torch.jsonl" "$MODEL" "$THREADS" <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
theirs = {j["kernel"]: j for j in map(json.loads, filter(str.strip, open(sys.argv[2])))}
print(f"\nmodel {sys.argv[3]}, {sys.argv[4]} threads, {next(iter(theirs.values()))['torch']} torch\n")
print("| kernel | shape | ringtrain ms | GFLOP/s | PyTorch ms | GFLOP/s | ratio |")
print("|---|---|---|---|---|---|---|")
fmt = lambda g: "-" if g is None else f"{g:.1f}"
tot_ours = tot_theirs = 0.0
for o in ours:
    t = theirs.get(o["kernel"])
    if t is None:
        continue
    tot_ours += o["ms"]; tot_theirs += t["ms"]
    print(f"| {o['kernel']} | {o['shape']} | {o['ms']:.3f} | {fmt(o['gflops'])} | {t['ms']:.3f} | "
          f"{fmt(t['gflops'])} | {t['ms'] / o['ms']:.2f} |")
print(f"| all of the above | | {tot_ours:.2f} | | {tot_theirs:.2f} | | {tot_theirs / tot_ours:.2f} |")
PY
