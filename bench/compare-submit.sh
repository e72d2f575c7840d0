#!/usr/bin/env bash
# `submit` through Spark against `simulate`, model M, 2 workers x 1 thread, global batch 8:
# seconds from the command's start to its first completed step, and tokens/s over the steps after
# warm-up (from metrics.jsonl's unix_ms). Spark masters: local[2] (Spark embedded in the driver
# JVM: tasks are threads), local-cluster[2,1,3072] (a Spark master, worker and two executor
# JVMs; its SPARK_HOME is built here from the build's jars) and YARN in cluster mode on Hadoop's
# MiniYARNCluster (MiniYarnSubmitBench, from deploy's test class path: one ResourceManager and
# one NodeManager in one JVM, started before the clock starts; spark-submit puts the driver, and
# so the coordinator, in the ApplicationMaster's container and the workers in two 3 GB executor
# containers). The YARN row's time is split into its phases, from the ResourceManager's
# application report and Spark's event log.
# Usage: bench/compare-submit.sh [DATA_DIR] [STEPS]   (DATA_DIR: runs/demo/data by default)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$(cd "${1:-runs/demo/data}" && pwd)" # absolute: YARN's containers run in directories of their own
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
# deploy's test class path as surefire builds it (deploy/pom.xml): the modules' classes from this build,
# not ~/.m2's stale snapshots, and SLF4J 2 (the pom's additionalClasspathDependency) in place of 1.x and nop.
test_classpath() {
  (cd "$ROOT" && mvn -B -q -o -pl deploy -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$OUT/deps.txt") >"$OUT/mvn.log" 2>&1 || { cat "$OUT/mvn.log" >&2; exit 1; }
  local slf4j; slf4j=$(sed -n '/<additionalClasspathDependency>/,/<\/additionalClasspathDependency>/s/.*<version>\(.*\)<\/version>.*/\1/p' \
    "$ROOT/deploy/pom.xml")
  local cp="$ROOT/deploy/target/test-classes:$ROOT/deploy/target/classes"
  for m in proto trainer/training trainer/text trainer/scaling coordinator worker bench; do cp="$cp:$ROOT/$m/target/classes"; done
  cp="$cp:$HOME/.m2/repository/org/slf4j/slf4j-api/$slf4j/slf4j-api-$slf4j.jar"
  echo "$cp:$(tr ':' '\n' <"$OUT/deps.txt" | grep -v -e /io/ringtrain/ -e /slf4j-nop/ -e /slf4j-api/ | paste -sd:)"
}
run_yarn() { # prints "seconds-to-first-step tokens/s"; the phases' end times (ms) go to $OUT/yarn.times
  local cp; cp=$(test_classpath)
  # From $OUT: the cluster's folders (test.build.data) and the test logging's target/test-logs land there.
  (cd "$OUT" && java -Dtest.build.data="$OUT/yarn-work" -cp "$cp" io.ringtrain.cli.MiniYarnSubmitBench "$OUT/yarn-work" \
    3072m 2 "${MODEL[@]}" --out "$OUT/yarn") >"$OUT/yarn.times" 2>"$OUT/yarn.log" \
    || { echo "yarn failed:" >&2; tail -80 "$OUT/yarn.log" >&2; exit 1; }
  /usr/bin/env python3 "$ROOT/bench/run_rate.py" "$OUT/yarn/metrics.jsonl" "$WARMUP" "$(awk '$1 == "submit" { print $2 }' "$OUT/yarn.times")"
}
read -r s_first s_rate < <(run simulate simulate)
read -r l_first l_rate < <(run local submit --master 'local[2]')
read -r c_first c_rate < <(run cluster submit --master 'local-cluster[2,1,3072]' --conf spark.driver.host=127.0.0.1 \
  --conf spark.driver.bindAddress=127.0.0.1 --conf spark.executorEnv.SPARK_SCALA_VERSION=2.13)
read -r y_first y_rate < <(run_yarn)
echo "| launcher | start to first step (s) | tokens/s (steps $WARMUP-$STEPS) | tokens/s vs simulate |"
echo "|---|---|---|---|"
awk -v f="$s_first" -v r="$s_rate" 'BEGIN { printf "| simulate --workers 2 | %.1f | %.0f | 1.00 |\n", f, r }'
awk -v f="$l_first" -v r="$l_rate" -v s="$s_rate" 'BEGIN { printf "| submit --master local[2] | %.1f | %.0f | %.2f |\n", f, r, r / s }'
awk -v f="$c_first" -v r="$c_rate" -v s="$s_rate" 'BEGIN { printf "| submit --master local-cluster[2,1,3072] | %.1f | %.0f | %.2f |\n", f, r, r / s }'
awk -v f="$y_first" -v r="$y_rate" -v s="$s_rate" 'BEGIN { printf "| submit on YARN (MiniYARNCluster, cluster mode) | %.1f | %.0f | %.2f |\n", f, r, r / s }'
awk -v f="$y_first" '{ t[$1] = $2 } END {
  printf "\nYARN, seconds in each phase: submit to accepted by the ResourceManager %.1f | to the AM container launched %.1f |", (t["accepted"] - t["submit"]) / 1000, (t["am_launched"] - t["accepted"]) / 1000
  printf " to the SparkContext started %.1f | to both executors registered %.1f |", (t["spark_context"] - t["am_launched"]) / 1000, (t["executors"] - t["spark_context"]) / 1000
  printf " to the barrier tasks launched %.1f | to the first step %.1f\n", (t["tasks"] - t["executors"]) / 1000, f - (t["tasks"] - t["submit"]) / 1000
}' "$OUT/yarn.times"
