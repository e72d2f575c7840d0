#!/usr/bin/env bash
# ringtrain's ring all-reduce next to PyTorch's gloo, back to back on 127.0.0.1, as a Markdown
# table of bus bandwidth (GB/s, nccl-tests' definition). Usage:
#   bench/compare-allreduce.sh [--workers "2 4"] [--mib "1 16 64 256"] [--iterations K]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
WORKERS="2 4"
MIBS="1 16 64 256"
ITERATIONS=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --mib) MIBS="$2"; shift 2 ;;
    --iterations) ITERATIONS="$2"; shift 2 ;;
    -h|--help) sed -n 2,4p "$0"; exit 0 ;;
    *) echo "compare-allreduce: unknown argument $1" >&2; exit 2 ;;
  esac
done
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }
have_torch=1
"$PYTHON" -c 'import torch.distributed' 2>/dev/null || { have_torch=0; echo "PyTorch is NOT installed for $PYTHON: apt-get install -y python3-torch" >&2; }
echo "| workers | MiB | ringtrain busbw | gloo busbw | ratio | load before |"
echo "|---|---|---|---|---|---|"
for n in $WORKERS; do
  for m in $MIBS; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours=$(RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" bench allreduce --workers "$n" --mib "$m" \
      --iterations "$ITERATIONS" --json 2>/dev/null | grep '{' | field busbw_gbps)
    gloo="-"
    if [[ $have_torch == 1 ]]; then
      gloo=$("$PYTHON" "$ROOT/bench/pytorch/allreduce_gloo.py" --workers "$n" --mib "$m" \
        --iterations "$ITERATIONS" --json 2>/dev/null | field busbw_gbps)
    fi
    ratio=$(awk -v a="$ours" -v b="$gloo" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    [[ $gloo != "-" ]] && gloo=$(printf "%.3f" "$gloo")
    printf "| %s | %s | %.3f | %s | %s | %s |\n" "$n" "$m" "$ours" "$gloo" "$ratio" "$load"
  done
done
