package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.auth.Hmac;
import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.coordinator.StepSummary;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.spark.SparkTests;
import io.ringtrain.launch.spark.SparkWorkers;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.worker.WorkerContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real coordinator in this JVM (the driver) and the real workers as a barrier stage on local[2]. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SparkWorkersJobTest {
  @TempDir static Path tmp;
  static JavaSparkContext sc;

  @BeforeAll
  static void start() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 200, "--vocab-size", "300");
    sc = SparkTests.context(SparkTests.conf("local[2]", "spark-workers-job-test"));
  }

  @AfterAll
  static void stop() {
    if (sc != null) sc.close();
  }

  static JobSpec spec(String out, long steps) throws Exception {
    JobSpecOptions o = new JobSpecOptions();
    o.data = tmp.resolve("data").toString();
    o.out = tmp.resolve(out).toString();
    o.layers = 2;
    o.heads = 2;
    o.width = 32;
    o.context = 32;
    o.batch = 2;
    o.steps = steps;
    o.threads = 1;
    o.seed = 11L;
    o.workers = 2;
    return o.resolve(HadoopConf.configuration());
  }

  static final class Steps implements JobListener {
    final AtomicInteger count = new AtomicInteger();

    @Override
    public void onStep(StepSummary s) {
      count.incrementAndGet();
    }
  }

  /** Two workers that reach {@code c} as job {@code jobId} with {@code secret}. */
  static SparkWorkers workers(Coordinator c, String jobId, String secret) {
    return new SparkWorkers(sc, 2, new WorkerContext(0, 0, "127.0.0.1", c.port(), jobId, secret, "127.0.0.1"),
        Duration.ofSeconds(30));
  }

  @Test
  void eachTaskRunsTheWorkerOfItsPartitionAndTheJobFinishes() throws Exception {
    JobSpec spec = spec("ok", 3);
    String secret = Hmac.newSecret();
    Steps steps = new Steps();
    try (Coordinator c = new Coordinator(spec, "spark-ok", secret, "127.0.0.1", 0, 60_000, steps)) {
      SparkWorkers workers = workers(c, "spark-ok", secret);
      List<String> placed = workers.launch(0).get(240, TimeUnit.SECONDS);
      assertEquals(List.of("rank 0 on 127.0.0.1", "rank 1 on 127.0.0.1"), placed);
      JobOutcome outcome = c.outcome().get(10, TimeUnit.SECONDS);
      assertTrue(outcome.ok(), outcome.reason());
      assertEquals(3, steps.count.get());
    }
  }

  @Test
  void aWorkerThatFailsEndsTheAttemptWithItsCause() throws Exception {
    JobSpec spec = spec("refused", 3);
    try (Coordinator c = new Coordinator(spec, "spark-refused", Hmac.newSecret(), "127.0.0.1", 0, 60_000,
        new Steps())) {
      SparkWorkers workers = workers(c, "spark-refused", "not-the-secret");
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> workers.launch(3).get(120, TimeUnit.SECONDS));
      SparkException s = assertInstanceOf(SparkException.class, e.getCause());
      assertTrue(s.getMessage().contains("Could not recover from a failed barrier ResultStage")
          && s.getMessage().contains("(attempt 3)"), s.getMessage());
      c.stop(1, "test over");
    }
    awaitNoRunningTasks();
  }

  @Test
  void cancelEndsTheAttemptAndInterruptsItsTasks() throws Exception {
    JobSpec spec = spec("cancelled", 1_000_000);
    String secret = Hmac.newSecret();
    Steps steps = new Steps();
    try (Coordinator c = new Coordinator(spec, "spark-cancel", secret, "127.0.0.1", 0, 60_000, steps)) {
      SparkWorkers workers = workers(c, "spark-cancel", secret);
      CompletableFuture<List<String>> attempt = workers.launch(0);
      while (steps.count.get() < 2) {
        assertTrue(!attempt.isDone(), () -> "the attempt ended early: " + attempt);
        Thread.sleep(50);
      }
      workers.cancel();
      ExecutionException e = assertThrows(ExecutionException.class, () -> attempt.get(30, TimeUnit.SECONDS));
      assertInstanceOf(SparkException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("cancelled"), e.getCause().getMessage());
      awaitNoRunningTasks();
    }
  }

  /** The interrupted tasks end (no zombie keeps a slot), so the next attempt finds its slots free. */
  static void awaitNoRunningTasks() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (java.util.Arrays.stream(sc.sc().statusTracker().getExecutorInfos()).anyMatch(x -> x.numRunningTasks() > 0)) {
      assertTrue(System.nanoTime() < deadline, "tasks still running 60 s after their attempt ended");
      Thread.sleep(100);
    }
  }
}
