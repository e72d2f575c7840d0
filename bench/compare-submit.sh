#!/usr/bin/env bash
# `submit` through Spark against `simulate`, model M, 2 workers x 1 thread, global batch 8:
# seconds from the command's start to its first completed step, and tokens/s over the steps after
# warm-up (from metrics.jsonl's unix_ms). Spark masters: local[2] (Spark embedded in the driver
# JVM: tasks are threads) and local-cluster[2,1,3072] (a Spark master, worker and two executor
# JVMs; its SPARK_HOME is built here from the build's jars).
# Usage: bench/compare-submit.sh [DATA_DIR] [STEPS]   (DATA_DIR: runs/demo/data by default)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-runs/demo/data}"
STEPS="${2:-20}"
WARMUP=5
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
MODEL=(--workers 2 --threads 1 --data "$DATA" --layers 6 --heads 6 --width 384 --context 256 --batch 4
       --steps "$STEPS" --eval-interval 0 --checkpoint-at 1 --log-interval 1000)
mkdir -p "$OUT/spark-home/jars"
ln -s "$ROOT"/deploy/target/lib/*.jar "$ROOT"/deploy/target/spark-lib/*.jar "$OUT/spark-home/jars/" 2>/dev/null || true
ln -sf "$ROOT"/deploy/target/ringtrain-deploy-0.1.0-SNAPSHOT.jar "$OUT/spark-home/jars/"
run() { # name, command...: prints "seconds-to-first-step tokens/s"
  local name=$1; shift
  local start; start=$(date +%s%3N)
  SPARK_HOME="$OUT/spark-home" SPARK_SCALA_VERSION=2.13 RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" "$@" \
    "${MODEL[@]}" --out "$OUT/$name" >"$OUT/$name.log" 2>&1 || { echo "$name failed:" >&2; tail "$OUT/$name.log" >&2; exit 1; }
  /usr/bin/env python3 "$ROOT/bench/run_rate.py" "$OUT/$name/metrics.jsonl" "$WARMUP" "$start"
}
read -r s_first s_rate < <(run simulate simulate)
read -r l_first l_rate < <(run local submit --master 'local[2]')
read -r c_first c_rate < <(run cluster submit --master 'local-cluster[2,1,3072]' --conf spark.driver.host=127.0.0.1 \
  --conf spark.driver.bindAddress=127.0.0.1 --conf spark.executorEnv.SPARK_SCALA_VERSION=2.13)
echo "| launcher | start to first step (s) | tokens/s (steps $WARMUP-$STEPS) | tokens/s vs simulate |"
echo "|---|---|---|---|"
awk -v f="$s_first" -v r="$s_rate" 'BEGIN { printf "| simulate --workers 2 | %.1f | %.0f | 1.00 |\n", f, r }'
awk -v f="$l_first" -v r="$l_rate" -v s="$s_rate" 'BEGIN { printf "| submit --master local[2] | %.1f | %.0f | %.2f |\n", f, r, r / s }'
awk -v f="$c_first" -v r="$c_rate" -v s="$s_rate" 'BEGIN { printf "| submit --master local-cluster[2,1,3072] | %.1f | %.0f | %.2f |\n", f, r, r / s }'
