#!/usr/bin/env bash
# Submits a ringtrain command to a Spark standalone master, the driver on this machine (client
# mode: the coordinator listens here, so the executors must reach this host).
#
#   deploy/spark/submit-standalone.sh spark://master:7077 WORKERS EXECUTOR_MEMORY CORES -- <command>
#
# One executor per worker: spark.cores.max = WORKERS x CORES, spark.executor.cores = CORES = spark.task.cpus.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ $# -ge 5 && "$5" == "--" ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
MASTER=$1 WORKERS=$2 MEMORY=$3 CORES=$4
shift 5
JAR=$(ls "$ROOT"/deploy/target/ringtrain-deploy-*-spark.jar 2>/dev/null | head -1)
[[ -n "$JAR" ]] || { echo "no application jar: run 'mvn package -DskipTests' in $ROOT first" >&2; exit 3; }
exec "${SPARK_HOME:?set SPARK_HOME to the Spark 4.2 installation}/bin/spark-submit" \
  --master "$MASTER" --deploy-mode client \
  --class io.ringtrain.cli.RingtrainCommand \
  --total-executor-cores $((WORKERS * CORES)) \
  --executor-cores "$CORES" --executor-memory "$MEMORY" \
  --conf spark.task.cpus="$CORES" \
  --conf spark.dynamicAllocation.enabled=false \
  --conf spark.executor.extraJavaOptions="--add-modules jdk.incubator.vector -XX:+UseParallelGC" \
  --driver-java-options "--add-modules jdk.incubator.vector" \
  ${SPARK_SUBMIT_OPTS_EXTRA:-} \
  "$JAR" "$@"
