#!/usr/bin/env bash
# Recovery time: `simulate` with N workers (default 4, one thread each) on model M, one worker
# killed with SIGKILL at step KILL_AT, the job recovering by itself. Prints the breakdown from the
# kill to the first completed step after it: detection (kill -> the coordinator declares the
# failure), relaunch (back-off, JVM start, rendezvous), restore (the slowest rank's load of the
# checkpoint or of the survivor's state) and the rest (data, backend and the first step), and the
# steps lost. MODE peer (default) recovers from a survivor's memory; checkpoint (--no-peer-recovery)
# restarts every worker from the last checkpoint.
# Usage: bench/recovery.sh [DATA_DIR] [WORKERS] [KILL_AT] [peer|checkpoint]   (DATA_DIR: runs/demo/data)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-runs/demo/data}"
WORKERS="${2:-4}"
KILL_AT="${3:-12}"
case "${4:-peer}" in
  peer) MODE=--peer-recovery ;;
  checkpoint) MODE=--no-peer-recovery ;;
  *) echo "MODE must be peer or checkpoint, not $4" >&2; exit 2 ;;
esac
OUT="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$OUT"' EXIT
RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" simulate --workers "$WORKERS" --threads 1 --data "$DATA" \
  --layers 6 --heads 6 --width 384 --context 256 --batch 2 --steps $((KILL_AT + 8)) --eval-interval 0 \
  --checkpoint-every 5 --checkpoint-at 1 --log-interval 1 "$MODE" --out "$OUT/run" >"$OUT/log" 2>&1 &
LAUNCHER=$!
for _ in $(seq 1 6000); do # at most 10 minutes
  grep -q "\"step\":$KILL_AT," "$OUT/run/metrics.jsonl" 2>/dev/null && break
  sleep 0.1
done
VICTIM=$(pgrep -f "io.ringtrain.worker.WorkerMain.*--rank 1 " | head -1)
KILLED_MS=$(date +%s%3N)
kill -9 "$VICTIM"
wait "$LAUNCHER" || { echo "the job failed:"; tail -20 "$OUT/log"; exit 1; }
grep -E '^(generation|restart|recovered)' "$OUT/log"
/usr/bin/env python3 - "$OUT/run/metrics.jsonl" "$KILLED_MS" "$WORKERS" <<'PY'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1]) if '"recovery"' in l][0]
killed = int(sys.argv[2])
detect = rec["detected_unix_ms"] - killed
total = detect + rec["seconds_to_recover"] * 1000
rest = rec["seconds_to_recover"] * 1000 - rec["relaunch_ms"] - rec["restore_ms"]
print("| workers | restored from | detection (ms) | relaunch + rendezvous (ms) | restore (ms) | first step and the rest (ms) | SIGKILL to first step (s) | steps lost |")
print("|---|---|---|---|---|---|---|---|")
src = rec["restored_from"] if rec["restored_from"].startswith("peer") else "checkpoint"
print("| %s | %s | %d | %.0f | %.0f | %.0f | %.1f | %d |" % (sys.argv[3], src,
      detect, rec["relaunch_ms"], rec["restore_ms"], rest, total / 1000, rec["steps_lost"]))
PY
