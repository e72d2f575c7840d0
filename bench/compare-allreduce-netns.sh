#!/usr/bin/env bash
# ringtrain's ring all-reduce next to PyTorch's gloo on a cluster of network-namespace hosts
# (bench/cluster-netns.sh), one rank per host, every host's link limited by tbf, and the link's
# capacity measured with iperf3 in the same run. Prints a Markdown table: bus bandwidth in Gbit/s
# (nccl-tests' busbw x 8) and as a fraction of the iperf3 capacity, and for each side the cores its
# ranks kept busy in the timed iterations (CPU time over wall time: near the machine's core count,
# the CPUs, not the link, are the limit). Raw JSON goes to --log.
#   bench/compare-allreduce-netns.sh [--workers "2 4 8"] [--mib "64 256"] [--rates "1gbit 2500mbit 10gbit"]
#       [--iterations K] [--log FILE]
# A rate of "none" leaves the veth unlimited: what the CPUs themselves carry between hosts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/target/python-venv/bin/python}" # the venv the tests make (PythonVenv)
WORKERS="2 4 8"
MIBS="64 256"
RATES="1gbit 2500mbit 10gbit"
ITERATIONS=5
LOG=/dev/null
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --mib) MIBS="$2"; shift 2 ;;
    --rates) RATES="$2"; shift 2 ;;
    --iterations) ITERATIONS="$2"; shift 2 ;;
    --log) LOG="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    *) echo "compare-allreduce-netns: unknown argument $1" >&2; exit 2 ;;
  esac
done
"$PYTHON" -c 'import torch.distributed' 2>/dev/null || {
  echo "compare-allreduce-netns: PyTorch is not installed for $PYTHON (set PYTHON)" >&2; exit 3; }
max=0; for n in $WORKERS; do ((n > max)) && max=$n; done
NET="$ROOT/bench/cluster-netns.sh"
name="ar$$"
TMP="$(mktemp -d)"
job=""
trap '[[ -z $job ]] || kill "$job" 2>/dev/null; "$NET" down --name "$name"; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP
"$NET" up --name "$name" --hosts "$max" --rate 1gbit
eval "$("$NET" env --name "$name")"
read -r -a hosts <<<"$NETNS_HOSTS"
read -r -a addrs <<<"$NETNS_ADDRS"
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p"; }

# gloo: one rank per host, rank 0's store on host 0; each rank's command is bounded in time.
gloo() { # workers mib port
  local pids=() i out
  for ((i = 1; i < $1; i++)); do
    GLOO_SOCKET_IFNAME=eth0 timeout 600 ip netns exec "${hosts[$i]}" "$PYTHON" "$ROOT/bench/pytorch/allreduce_gloo.py" \
      --workers "$1" --mib "$2" --iterations "$ITERATIONS" --warmup 2 --json --rank "$i" --master "${addrs[0]}:$3" \
      >/dev/null 2>&1 &
    pids+=($!)
  done
  out=$(GLOO_SOCKET_IFNAME=eth0 timeout 600 ip netns exec "${hosts[0]}" "$PYTHON" "$ROOT/bench/pytorch/allreduce_gloo.py" \
    --workers "$1" --mib "$2" --iterations "$ITERATIONS" --warmup 2 --json --rank 0 --master "${addrs[0]}:$3" 2>/dev/null) || true
  for p in "${pids[@]}"; do wait "$p" || true; done
  echo "$out" >>"$LOG"
  echo "$(echo "$out" | field busbw_gbps) $(echo "$out" | field cores_busy)"
}

echo "| workers | MiB | link (tbf) | iperf3 Gbit/s | ringtrain busbw Gbit/s | of link | gloo busbw Gbit/s | of link | ringtrain/gloo | cores busy ringtrain / gloo | load before |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
port=29500
for rate in $RATES; do
  "$NET" rate --name "$name" "$rate"
  cap=$("$NET" iperf --name "$name" --seconds 5)
  echo "{\"rate\":\"$rate\",\"iperf3_gbps\":$cap}" >>"$LOG"
  for n in $WORKERS; do
    export RINGTRAIN_WORKER_HOSTS
    RINGTRAIN_WORKER_HOSTS=$(IFS=,; for ((i = 0; i < n; i++)); do printf '%s@%s\n' "${hosts[$i]}" "${addrs[$i]}"; done | paste -sd,)
    for m in $MIBS; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      # Each side runs as a job the script waits for: `timeout` puts its command in a process
      # group of its own, out of Ctrl-C's reach, and bash runs the INT trap for a foreground
      # command only once it ends; `wait` returns at the signal, and down kills the rest.
      { RINGTRAIN_NO_BUILD=1 timeout 900 "$ROOT/bin/ringtrain" bench allreduce --workers "$n" --mib "$m" \
        --iterations "$ITERATIONS" --json 2>/dev/null | grep '{' || true; } >"$TMP/ours" & job=$!; wait $job
      json=$(cat "$TMP/ours")
      echo "{\"rate\":\"$rate\",\"ringtrain\":$json}" >>"$LOG"
      ours=$(echo "$json" | sed -n 's/.*"busbw_gbps":\([0-9.]*\).*/\1/p')
      our_cores=$(echo "$json" | field cores_busy)
      port=$((port + 1))
      gloo "$n" "$m" "$port" >"$TMP/theirs" & job=$!; wait $job
      job=""
      read -r theirs their_cores <"$TMP/theirs"
      python3 - "$n" "$m" "$rate" "$cap" "${ours:-0}" "${theirs:-0}" "$load" "${our_cores:--}" "${their_cores:--}" <<'PY'
import sys
n, m, rate, cap, ours, theirs, load, our_cores, their_cores = sys.argv[1:]
cap, ours, theirs = float(cap), float(ours) * 8, float(theirs) * 8
cell = lambda v: ("%.2f" % v, "%.2f" % (v / cap)) if v > 0 else ("failed", "-")
cores = lambda c: c if c == "-" else "%.2f" % float(c)
print("| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s / %s | %s |" % ((n, m, rate, cap) + cell(ours) + cell(theirs)
      + ("%.2f" % (ours / theirs) if ours > 0 and theirs > 0 else "-", cores(our_cores), cores(their_cores), load)))
PY
    done
  done
done
