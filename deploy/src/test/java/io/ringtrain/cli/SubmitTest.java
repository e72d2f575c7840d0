package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.spark.SparkHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * `submit`: the same job through real Spark, one worker per barrier task, gives bit for bit what
 * `simulate` gives: in Spark's embedded mode (local[2]) and with two executor JVMs
 * (local-cluster), one of them killed with SIGKILL mid-run.
 */
@Tag("slow")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class SubmitTest {
  static final long STEPS = 120;
  @TempDir static Path tmp;
  static String simulated;

  static List<String> job(String out) {
    return new ArrayList<>(List.of("--workers", "2", "--data", tmp.resolve("data").toString(), "--out",
        tmp.resolve(out).toString(), "--layers", "2", "--heads", "2", "--width", "64", "--context", "64", "--batch", "4",
        "--steps", Long.toString(STEPS), "--threads", "1", "--seed", "9", "--eval-interval", "40", "--eval-batches",
        "2", "--checkpoint-every", "10", "--heartbeat-ms", "200", "--failure-timeout-ms", "3000"));
  }

  static String[] command(String name, List<String> args, String... more) {
    List<String> all = new ArrayList<>(List.of(name));
    all.addAll(List.of(more));
    all.addAll(args);
    return all.toArray(String[]::new);
  }

  @BeforeAll
  static void simulateOnce() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
    Cli.Result r = Cli.run(command("simulate", job("simulated")));
    assertEquals(0, r.code(), r.all());
    simulated = tmp.resolve("simulated").toString();
  }

  static void assertSameAsSimulated(String out) throws Exception {
    String run = tmp.resolve(out).toString();
    assertEquals(RecoveryTest.trainLosses(simulated), RecoveryTest.trainLosses(run), "losses per step");
    assertEquals(RecoveryTest.digestsAt(simulated, STEPS), RecoveryTest.digestsAt(run, STEPS),
        "final parameters and AdamW moments");
  }

  @Test
  void sparksEmbeddedModeTrainsExactlyWhatSimulateTrains() throws Exception {
    Cli.Result r = Cli.run(command("submit", job("local"), "--master", "local[2]"));
    assertEquals(0, r.code(), r.all());
    assertSameAsSimulated("local");
  }

  @Test
  void aKilledExecutorJvmIsReplacedAndTheStageRelaunchedFromTheLastCheckpoint() throws Exception {
    SparkHome.prepare(true);
    String[] submit = command("submit", job("local-cluster"), "--master", "local-cluster[2,1,1024]",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.extraClassPath=" + SparkHome.classDirectories(),
        "--conf", "spark.executorEnv.SPARK_SCALA_VERSION=2.13");
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(submit));
    RecoveryTest.awaitStep(tmp.resolve("local-cluster"), 40);
    List<ProcessHandle> executors = LocalClusterTest.workerProcesses();
    assertEquals(2, executors.size(), "executor JVMs: " + executors);
    executors.get(1).destroyForcibly();
    Cli.Result r = run.get(400, TimeUnit.SECONDS);
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("recovered: generation 1"), r.out());
    assertSameAsSimulated("local-cluster");
  }
}
