#!/usr/bin/env bash
# `ringtrain bench checkpoint` on HDFS: a real NameNode and DataNode (Hadoop's MiniDFSCluster, run
# by MiniHadoopClusterManager from the test class path, in a JVM of its own, replication 1) on this
# machine, then the bench against hdfs://127.0.0.1:PORT. Usage: bench/checkpoint-hdfs.sh [MODEL] [REPEATS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="${1:-M}"
REPEATS="${2:-3}"
PORT=9820
WORK="$(mktemp -d)"
# The class path through a file: on stdout, mvn -q's colour codes would end up in its last entry. -am
# test-compile: ringtrain's own modules resolve to this build's classes (~/.m2 has none or stale ones).
(cd "$ROOT" && mvn -B -q -o -pl deploy -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$WORK/cp.txt") >"$WORK/mvn.log" 2>&1 || { cat "$WORK/mvn.log" >&2; exit 1; }
CP="$(cat "$WORK/cp.txt")"
(cd "$WORK" && exec java -cp "$CP" org.apache.hadoop.mapreduce.MiniHadoopClusterManager -nomr -format -nnport "$PORT" \
  -D dfs.replication=1 -D hadoop.tmp.dir="$WORK" >"$WORK/hdfs.log" 2>&1) &
HDFS=$!
trap 'kill $HDFS 2>/dev/null || true; wait $HDFS 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do # at most 60 s
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
  sleep 0.1
done
sleep 3 # the DataNode registers after the NameNode listens
RINGTRAIN_NO_BUILD=1 "$ROOT/bin/ringtrain" bench checkpoint --model "$MODEL" --repeats "$REPEATS" \
  --dir "hdfs://127.0.0.1:$PORT/bench-$MODEL"
