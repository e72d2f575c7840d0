#!/usr/bin/env bash
# ringtrain's training step next to PyTorch's, measured back to back on this machine.
#
# For each config and thread count it runs, one right after the other (so each ratio comes from
# one run):
#   bin/ringtrain bench train --model X --threads N --steps K --json
#   $PYTHON    bench/pytorch/train_step.py --model X --threads N --steps K --warmup 3 --json
#   $PYTHON213 bench/pytorch/train_step.py ... --json             (2.13 eager: SDPA, fused AdamW)
#   $PYTHON213 bench/pytorch/train_step.py ... --compile --json   (2.13 under torch.compile)
# then prints a Markdown table with ringtrain's ratio to 1.13 and to the faster of the two 2.13
# figures. torch.compile's compilation happens in the warm-up and is not timed; its seconds are
# in the raw JSON. Every MFU column divides by ringtrain's own peak (245e9 unless
# -Dringtrain.peakFlops says otherwise); a second table puts it next to the sgemm peak each torch
# reaches (bench/pytorch/sgemm_peak.py: Debian's 1.13 runs on OpenBLAS, the 2.13 wheel on MKL), so
# a reader sees which denominator is which. The raw JSON lines go to stderr. The 1-minute load
# average is read before and after each group: this machine has 2 cores and is often shared with
# builds, so read the numbers with it.
#
# Usage: bench/compare-train.sh [--large] [--models "S M"] [--threads "1 2"] [--steps K]
#                               [--large-steps K] [--peak-sizes LIST]
#   --large          also run L (slow: a few seconds to minutes per step); at threads 2 only
#                    unless --large-threads says otherwise
#   --models LIST    configs to run (default "S M", plus L with --large)
#   --threads LIST   thread counts (default "1 2")
#   --large-threads LIST  thread counts for L (default "2")
#   --steps K        timed steps for S and M, each side (default 10; ringtrain needs >= 10)
#   --large-steps K  timed steps for L (default 10)
#   --peak-sizes LIST  sgemm sizes for the peak table (default 1024,2048,4096; the peak is the
#                    largest GFLOP/s among them)
# Environment: PYTHON (default /usr/bin/python3, Debian's torch 1.13), PYTHON213 (default
#   target/python-venv/bin/python, the venv the tests make, torch 2.13); a missing one leaves its
#   columns "not installed". OMP_WAIT_POLICY (train_step.py defaults it to PASSIVE; see there).
# Exit: 0, or 3 where neither torch is installed.
#
# The full measurement (the lead, on a quiet machine; about 25-35 min: each of the 5 rows runs
# 4 sides of >= 10 s warm-up plus 10 steps (L's steps take seconds), torch.compile's first
# compile adds 1-3 min a row (less once inductor's cache in /tmp holds the graphs), and the
# sgemm peaks about 1 min):
#   bench/compare-train.sh --large 2> compare-train.log
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
PYTHON213="${PYTHON213:-$ROOT/target/python-venv/bin/python}"
MODELS="S M"
THREADS="1 2"
LARGE=0
LARGE_THREADS="2"
STEPS=10
LARGE_STEPS=10
PEAK_SIZES=1024,2048,4096
WARMUP=3 # and at least 10 s on both sides: ringtrain's JIT compiles the kernels in the first seconds

while [[ $# -gt 0 ]]; do
  case "$1" in
    --large) LARGE=1; shift ;;
    --models) MODELS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --large-threads) LARGE_THREADS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --large-steps) LARGE_STEPS="$2"; shift 2 ;;
    --peak-sizes) PEAK_SIZES="$2"; shift 2 ;;
    -h|--help) sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-train.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

# torch_version PYTHON: its torch's version, or "" (with a plain message) where it has none.
torch_version() {
  local v
  if [[ ! -x "$1" ]]; then
    echo "compare-train.sh: PyTorch is NOT installed: $1 does not exist." >&2
  elif ! v="$("$1" -c 'import torch; print(torch.__version__)' 2>/dev/null)"; then
    echo "compare-train.sh: PyTorch is NOT installed for $1 ('import torch' fails)." >&2
  else
    echo "$v"
  fi
}
V113="$(torch_version "$PYTHON")"
V213="$(torch_version "$PYTHON213")"
if [[ -z $V113 ]]; then
  echo "  Install Debian's with: apt-get install -y python3-torch libopenblas0-openmp" >&2
  echo "  (and make OpenBLAS the libblas.so.3 alternative)." >&2
fi
if [[ -z $V213 ]]; then
  echo "  The 2.13 venv is made by the tests (PythonVenv; target/python-venv), or set PYTHON213." >&2
fi
[[ -n $V113 || -n $V213 ]] || echo "  Only ringtrain's columns are filled." >&2

# json_num KEY: the number after "KEY": in the JSON object on stdin.
json_num() {
  sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" | head -n 1
}
load1() { cut -d ' ' -f 1 /proc/loadavg; }

echo "ringtrain vs PyTorch ${V113:-(1.13 not installed)} and ${V213:-(2.13 not installed)}," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores" >&2

# torch_run PYTHON MODEL THREADS STEPS [FLAGS...]: train_step.py's JSON line, or "" if it failed.
torch_run() {
  local py="$1" model="$2" threads="$3" steps="$4"; shift 4
  "$py" "$ROOT/bench/pytorch/train_step.py" --model "$model" --threads "$threads" \
    --steps "$steps" --warmup "$WARMUP" --json "$@" | grep '^{' | tail -n 1 || true
}

ROWS=()
RT_PEAK=""
run_group() { # model threads steps
  local model="$1" threads="$2" steps="$3" load after rt py eager compiled
  load="$(load1)"
  echo "== $model threads $threads (load $load)" >&2
  rt="$("$ROOT/bin/ringtrain" bench train --model "$model" --threads "$threads" --steps "$steps" \
      --json 2>/dev/null | grep '^{' | tail -n 1)" || rt=""
  echo "ringtrain:      ${rt:-FAILED}" >&2
  [[ -n $RT_PEAK ]] || RT_PEAK="$(json_num peakFlops <<<"$rt")"
  py="" eager="" compiled=""
  if [[ -n $V113 ]]; then
    py="$(torch_run "$PYTHON" "$model" "$threads" "$steps")"
    echo "torch $V113: ${py:-FAILED}" >&2
  fi
  if [[ -n $V213 ]]; then
    eager="$(torch_run "$PYTHON213" "$model" "$threads" "$steps")"
    echo "torch $V213 eager:    ${eager:-FAILED}" >&2
    compiled="$(torch_run "$PYTHON213" "$model" "$threads" "$steps" --compile)"
    echo "torch $V213 compiled: ${compiled:-FAILED}" >&2
  fi
  after="$(load1)"
  echo "== load after: $after" >&2
  ROWS+=("$(awk -v m="$model" -v t="$threads" -v a="$(json_num tokensPerSecond <<<"$rt")" \
      -v b="$(json_num mfu <<<"$rt")" -v c="$(json_num tokens_per_second <<<"$py")" \
      -v d="$(json_num mfu <<<"$py")" -v e="$(json_num tokens_per_second <<<"$eager")" \
      -v f="$(json_num tokens_per_second <<<"$compiled")" -v l="$load" -v la="$after" \
      -v have113="${V113:+1}" -v have213="${V213:+1}" '
    function tps(v, have) { return have == "" ? "not installed" : v == "" ? "failed" : sprintf("%.0f", v) }
    function pct(v, have) { return have == "" ? "not installed" : v == "" ? "failed" : sprintf("%.1f%%", 100 * v) }
    function ratio(x, y) { return (x == "" || y == "" || y + 0 == 0) ? "n/a" : sprintf("%.2f", x / y) }
    BEGIN {
      best = (e == "" || (f != "" && f + 0 > e + 0)) ? f : e
      which = best == "" ? "" : (best == f ? " (compiled)" : " (eager)")
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%s | %s / %s |", m, t, tps(a, 1), pct(b, 1),
        tps(c, have113), pct(d, have113), ratio(a, c), tps(e, have213), tps(f, have213),
        ratio(a, best), ratio(a, best) == "n/a" ? "" : which, l, la
    }')")
}

for m in $MODELS; do
  for t in $THREADS; do run_group "$m" "$t" "$STEPS"; done
done
if [[ $LARGE == 1 ]]; then
  for t in $LARGE_THREADS; do run_group L "$t" "$LARGE_STEPS"; done
fi

# The peak each torch's sgemm reaches at each thread count used, next to ringtrain's denominator.
PEAKS=()
peak_cell() { # python version threads
  [[ -n $2 ]] || { echo "not installed"; return; }
  local lines
  lines="$("$1" "$ROOT/bench/pytorch/sgemm_peak.py" --threads "$3" --sizes "$PEAK_SIZES" 2>/dev/null)" || true
  echo "$lines" >&2
  python3 -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{")]
best = max(rows, key=lambda r: r["gflops"]) if rows else None
print("%.0f GFLOP/s (%s, n=%d)" % (best["gflops"], best["blas"], best["n"]) if best else "failed")' <<<"$lines"
}
thread_counts="$THREADS"; [[ $LARGE == 1 ]] && thread_counts="$THREADS $LARGE_THREADS"
for t in $(printf '%s\n' $thread_counts | sort -nu); do
  load="$(load1)"
  echo "== sgemm peak, threads $t (load $load)" >&2
  PEAKS+=("| $t | $(awk -v p="$RT_PEAK" 'BEGIN { print p == "" ? "failed" : sprintf("%.0f GFLOP/s", p / 1e9) }') | $(peak_cell "$PYTHON" "$V113" "$t") | $(peak_cell "$PYTHON213" "$V213" "$t") | $load |")
done

echo
echo "PyTorch: ${V113:-1.13 not installed} ($PYTHON); ${V213:-2.13 not installed} ($PYTHON213)"
echo
echo "| config | threads | ringtrain tokens/s | ringtrain MFU | PyTorch ${V113:-1.13} tokens/s | PyTorch ${V113:-1.13} MFU | ratio (ringtrain/${V113:-1.13}) | PyTorch ${V213:-2.13} eager tokens/s | PyTorch ${V213:-2.13} compiled tokens/s | ratio (ringtrain/faster ${V213:-2.13}) | load avg (1 min) before / after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "MFU denominators: every MFU above divides by ringtrain's peak; each torch's own sgemm peak beside it."
echo
echo "| threads | ringtrain's peak (bench train's MFU denominator) | sgemm peak, torch ${V113:-1.13} | sgemm peak, torch ${V213:-2.13} | load avg before |"
echo "|---|---|---|---|---|"
printf '%s\n' "${PEAKS[@]}"
[[ -n $V113 || -n $V213 ]] || exit 3
