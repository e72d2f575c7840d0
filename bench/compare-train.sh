#!/usr/bin/env bash
# ringtrain's training step next to PyTorch's, measured back to back on this machine.
#
# For each config and thread count it runs
#   bin/ringtrain bench train --model X --threads N --steps K --json
#   /usr/bin/python3 bench/pytorch/train_step.py --model X --threads N --steps K --warmup 3 --json
# one right after the other (so each ratio comes from one run), then prints a Markdown table.
# The raw JSON lines go to stderr. The 1-minute load average is read before each pair: this
# machine has 2 cores and is often shared with builds, so read the numbers with it; it is read
# again after the pair.
#
# Usage: bench/compare-train.sh [--large] [--models "S M"] [--threads "1 2"] [--steps K]
#                               [--large-steps K]
#   --large          also run L (slow: a few seconds to minutes per step); at threads 2 only
#                    unless --large-threads says otherwise
#   --models LIST    configs to run (default "S M", plus L with --large)
#   --threads LIST   thread counts (default "1 2")
#   --large-threads LIST  thread counts for L (default "2")
#   --steps K        timed steps for S and M, each side (default 10; ringtrain needs >= 10)
#   --large-steps K  timed steps for L (default 10)
# Environment: PYTHON (default /usr/bin/python3, Debian's, which sees python3-torch),
#   OMP_WAIT_POLICY (train_step.py defaults it to PASSIVE; see there).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
MODELS="S M"
THREADS="1 2"
LARGE=0
LARGE_THREADS="2"
STEPS=10
LARGE_STEPS=10
WARMUP=3 # and at least 10 s on both sides: ringtrain's JIT compiles the kernels in the first seconds

while [[ $# -gt 0 ]]; do
  case "$1" in
    --large) LARGE=1; shift ;;
    --models) MODELS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --large-threads) LARGE_THREADS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --large-steps) LARGE_STEPS="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-train.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

HAVE_TORCH=1
TORCH_VERSION="not installed"
if [[ ! -x "$PYTHON" ]]; then
  HAVE_TORCH=0
  echo "compare-train.sh: PyTorch is NOT installed: $PYTHON does not exist." >&2
elif ! TORCH_VERSION="$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null)"; then
  HAVE_TORCH=0
  TORCH_VERSION="not installed"
  echo "compare-train.sh: PyTorch is NOT installed for $PYTHON ('import torch' fails)." >&2
fi
if [[ $HAVE_TORCH == 0 ]]; then
  echo "  Install it with: apt-get install -y python3-torch libopenblas0-openmp" >&2
  echo "  (and make OpenBLAS the libblas.so.3 alternative). Only ringtrain's columns are filled." >&2
fi

# json_num KEY: the number after "KEY": in the JSON object on stdin.
json_num() {
  sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" | head -n 1
}
load1() { cut -d ' ' -f 1 /proc/loadavg; }

echo "ringtrain vs PyTorch $TORCH_VERSION, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores" >&2

ROWS=()
run_pair() { # model threads steps
  local model="$1" threads="$2" steps="$3" load after rt py rt_tps rt_mfu py_tps py_mfu ratio
  load="$(load1)"
  echo "== $model threads $threads (load $load)" >&2
  rt="$("$ROOT/bin/ringtrain" bench train --model "$model" --threads "$threads" --steps "$steps" \
      --json 2>/dev/null | grep '^{' | tail -n 1)" || rt=""
  echo "ringtrain: ${rt:-FAILED}" >&2
  rt_tps="$(json_num tokensPerSecond <<<"$rt")"
  rt_mfu="$(json_num mfu <<<"$rt")"
  py_tps="" py_mfu=""
  if [[ $HAVE_TORCH == 1 ]]; then
    py="$("$PYTHON" "$ROOT/bench/pytorch/train_step.py" --model "$model" --threads "$threads" \
        --steps "$steps" --warmup "$WARMUP" --json | grep '^{' | tail -n 1)" || py=""
    echo "pytorch:   ${py:-FAILED}" >&2
    py_tps="$(json_num tokens_per_second <<<"$py")"
    py_mfu="$(json_num mfu <<<"$py")"
  fi
  after="$(load1)"
  echo "== load after: $after" >&2
  ROWS+=("$(awk -v m="$model" -v t="$threads" -v a="$rt_tps" -v b="$rt_mfu" -v c="$py_tps" \
      -v d="$py_mfu" -v l="$load" -v la="$after" -v have="$HAVE_TORCH" 'BEGIN {
    ra = a == "" ? "failed" : sprintf("%.0f", a); rb = b == "" ? "failed" : sprintf("%.1f%%", 100 * b)
    if (have == 0) { pc = "not installed"; pd = "not installed"; r = "n/a" }
    else {
      pc = c == "" ? "failed" : sprintf("%.0f", c); pd = d == "" ? "failed" : sprintf("%.1f%%", 100 * d)
      r = (a == "" || c == "" || c + 0 == 0) ? "n/a" : sprintf("%.2f", a / c)
    }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s |", m, t, ra, rb, pc, pd, r, l, la
  }')")
}

for m in $MODELS; do
  for t in $THREADS; do run_pair "$m" "$t" "$STEPS"; done
done
if [[ $LARGE == 1 ]]; then
  for t in $LARGE_THREADS; do run_pair L "$t" "$LARGE_STEPS"; done
fi

echo
echo "PyTorch: $TORCH_VERSION"
echo
echo "| config | threads | ringtrain tokens/s | ringtrain MFU | PyTorch tokens/s | PyTorch MFU | ratio (ringtrain/PyTorch) | load avg (1 min) before / after |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
[[ $HAVE_TORCH == 1 ]] || exit 3
