package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.data.ShardSet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose every file is on HDFS (a real NameNode and DataNode in this JVM): the corpus,
 * the tokenized shards, the run directory and its checkpoints.
 */
@Tag("slow")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HdfsJobTest {
  @TempDir static java.nio.file.Path base;
  static MiniDFSCluster cluster;
  static String hdfs;

  @BeforeAll
  static void start() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    conf.setInt("dfs.replication", 1);
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem().getUri().toString();
    // The CLI builds its own Configuration: the hdfs:// URI carries the NameNode's address.
    FileSystem fs = cluster.getFileSystem();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
            new GZIPInputStream(Files.newInputStream(Cli.demoCorpus())), StandardCharsets.UTF_8));
         OutputStream out = new GZIPOutputStream(fs.create(new Path("/corpus/europarl-head.txt.gz")))) {
      for (int i = 0; i < 300; i++) out.write((r.readLine() + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.shutdown(true);
  }

  @Test
  void tokenizeTrainAndResumeOnHdfs() throws Exception {
    Cli.Result tok = Cli.run("tokenize", "--input", hdfs + "/corpus", "--output", hdfs + "/data", "--vocab-size", "300");
    assertEquals(0, tok.code(), tok.all());
    try (ShardSet train = ShardSet.open(hdfs + "/data/train_*.bin", cluster.getFileSystem().getConf())) {
      assertTrue(train.tokens() > 10_000, "tokens: " + train.tokens());
      int[] slice = new int[64];
      train.read(train.tokens() / 2, 64, slice, 0); // a positioned read from the middle
      for (int t : slice) assertTrue(t >= 0 && t < 300);
    }
    String[] job = {"train", "--data", hdfs + "/data", "--out", hdfs + "/runs/one", "--layers", "1", "--heads", "2",
        "--width", "16", "--context", "16", "--batch", "2", "--steps", "6", "--checkpoint-every", "3",
        "--threads", "1"};
    Cli.Result train = Cli.run(job);
    assertEquals(0, train.code(), train.all());
    FileSystem fs = cluster.getFileSystem();
    assertTrue(fs.exists(new Path("/runs/one/checkpoints/6/manifest.pb")));
    assertTrue(fs.exists(new Path("/runs/one/metrics.jsonl")));
    fs.delete(new Path("/runs/one/checkpoints/6"), true);
    Cli.Result resumed = Cli.run("resume", hdfs + "/runs/one");
    assertEquals(0, resumed.code(), resumed.all());
    assertTrue(resumed.out().contains("checkpoints/5 (step 5)"), resumed.out());
  }

  /**
   * Two worker JVMs training from shards on HDFS into a run directory on HDFS; one is killed with
   * SIGKILL, the job recovers from its checkpoints on HDFS (peer recovery off, so that it must) and
   * ends as the uninterrupted run did.
   */
  @Test
  void aWorkerKilledMidRunRecoversFromCheckpointsOnHdfs() throws Exception {
    Cli.Result tok = Cli.run("tokenize", "--input", hdfs + "/corpus", "--output", hdfs + "/data2", "--vocab-size", "300");
    assertEquals(0, tok.code(), tok.all());
    java.util.function.Function<String, String[]> job = out -> new String[] {"simulate", "--workers", "2", "--data",
        hdfs + "/data2", "--out", hdfs + out, "--layers", "1", "--heads", "2", "--width", "32", "--context", "32",
        "--batch", "2", "--steps", "200", "--checkpoint-every", "10", "--threads", "1", "--eval-interval", "0",
        "--heartbeat-ms", "200", "--failure-timeout-ms", "3000", "--no-peer-recovery"};
    Cli.Result whole = Cli.run(job.apply("/runs/whole"));
    assertEquals(0, whole.code(), whole.all());
    java.util.concurrent.CompletableFuture<Cli.Result> run =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> Cli.run(job.apply("/runs/killed")));
    FileSystem fs = cluster.getFileSystem();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!fs.exists(new Path("/runs/killed/checkpoints/40/manifest.pb"))) {
      assertTrue(System.nanoTime() < deadline, "no checkpoint 40");
      Thread.sleep(20);
    }
    LocalClusterTest.workerProcesses().get(0).destroyForcibly();
    Cli.Result killed = run.get(180, TimeUnit.SECONDS);
    assertEquals(0, killed.code(), killed.all());
    assertTrue(killed.out().matches("(?s).*recovered: generation 1 restored step \\d+ from hdfs://.*/runs/killed/checkpoints/.*"),
        killed.out());
    for (String tensor : new String[] {"params", "adam_m", "adam_v"}) {
      assertEquals(fs.getFileChecksum(new Path("/runs/whole/checkpoints/200/" + tensor + ".f32")),
          fs.getFileChecksum(new Path("/runs/killed/checkpoints/200/" + tensor + ".f32")), tensor);
    }
  }

  /**
   * The cluster path end to end on HDFS: the corpus tokenized on Spark, then the job submitted
   * through Spark with its shards and checkpoints on HDFS, ending exactly where `simulate` ends.
   */
  @Test
  void submitThroughSparkWithCorpusShardsAndCheckpointsOnHdfs() throws Exception {
    Cli.Result tok = Cli.run("tokenize", "--master", "local[2]", "--input", hdfs + "/corpus", "--output",
        hdfs + "/data3", "--vocab-size", "300");
    assertEquals(0, tok.code(), tok.all());
    java.util.function.Function<String, java.util.List<String>> job = out -> java.util.List.of("--workers", "2",
        "--data", hdfs + "/data3", "--out", hdfs + out, "--layers", "1", "--heads", "2", "--width", "32", "--context",
        "32", "--batch", "2", "--steps", "20", "--threads", "1", "--eval-interval", "0");
    java.util.List<String> simulate = new java.util.ArrayList<>(java.util.List.of("simulate"));
    simulate.addAll(job.apply("/runs/sim3"));
    Cli.Result sim = Cli.run(simulate.toArray(String[]::new));
    assertEquals(0, sim.code(), sim.all());
    java.util.List<String> submit = new java.util.ArrayList<>(java.util.List.of("submit", "--master", "local[2]"));
    submit.addAll(job.apply("/runs/spark3"));
    Cli.Result spark = Cli.run(submit.toArray(String[]::new));
    assertEquals(0, spark.code(), spark.all());
    FileSystem fs = cluster.getFileSystem();
    for (String tensor : new String[] {"params", "adam_m", "adam_v"}) {
      assertEquals(fs.getFileChecksum(new Path("/runs/sim3/checkpoints/20/" + tensor + ".f32")),
          fs.getFileChecksum(new Path("/runs/spark3/checkpoints/20/" + tensor + ".f32")), tensor);
    }
  }

  @Test
  void unreachableFilesystemFailsFastWithExitCode3() {
    long start = System.nanoTime();
    Cli.Result r = Cli.run("tokenize", "--input", hdfs + "/corpus", "--output", "hdfs://127.0.0.1:1/data");
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
    assertEquals(3, r.code(), r.all());
    assertTrue(r.err().contains("cannot write to output directory hdfs://127.0.0.1:1/data"), r.err());
    assertTrue(seconds < 60, "took " + seconds + " s");
  }
}
