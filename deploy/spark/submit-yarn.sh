#!/usr/bin/env bash
# Submits a ringtrain command to YARN in cluster mode: the driver (which hosts the coordinator)
# runs in the ApplicationMaster's container, one executor per worker, one task per executor.
#
#   deploy/spark/submit-yarn.sh WORKERS EXECUTOR_MEMORY CORES -- <ringtrain command and flags>
#   deploy/spark/submit-yarn.sh 4 8g 8 -- tokenize --master spark --input hdfs:///corpus --output hdfs:///data
#
# EXECUTOR_MEMORY: heap per worker; docs/cluster.md derives it from the model size.
# CORES: cores per executor, all of them for the one task (spark.task.cpus = spark.executor.cores).
# Extra spark-submit options come from SPARK_SUBMIT_OPTS_EXTRA (e.g. --queue, gpu.conf's options).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ $# -ge 4 && "$4" == "--" ]] || { sed -n '2,11p' "$0" >&2; exit 2; }
WORKERS=$1 MEMORY=$2 CORES=$3
shift 4
JAR=$(ls "$ROOT"/deploy/target/ringtrain-deploy-*-spark.jar 2>/dev/null | head -1)
[[ -n "$JAR" ]] || { echo "no application jar: run 'mvn package -DskipTests' in $ROOT first" >&2; exit 3; }
exec "${SPARK_HOME:?set SPARK_HOME to the Spark 4.2 installation}/bin/spark-submit" \
  --master yarn --deploy-mode cluster \
  --name "ringtrain $1" \
  --class io.ringtrain.cli.RingtrainCommand \
  --num-executors "$WORKERS" \
  --executor-cores "$CORES" --executor-memory "$MEMORY" \
  --conf spark.task.cpus="$CORES" \
  --conf spark.dynamicAllocation.enabled=false \
  --conf spark.executor.extraJavaOptions="--add-modules jdk.incubator.vector -XX:+UseParallelGC" \
  --conf spark.driver.extraJavaOptions="--add-modules jdk.incubator.vector" \
  --conf spark.authenticate=true \
  --conf spark.network.crypto.enabled=true \
  --conf spark.yarn.maxAppAttempts=1 \
  ${SPARK_SUBMIT_OPTS_EXTRA:-} \
  "$JAR" "$@"
