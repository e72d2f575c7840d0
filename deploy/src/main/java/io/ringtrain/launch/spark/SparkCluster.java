package io.ringtrain.launch.spark;

import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.launch.WorkerLauncher;
import io.ringtrain.worker.WorkerContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The job's workers as Spark places them: each generation is one barrier stage of N tasks on the
 * executors, and the driver, which hosts the coordinator, relaunches the stage when the
 * coordinator ends a generation (a lost executor, a stalled or failed worker).
 */
public final class SparkCluster implements WorkerLauncher {
  private final JavaSparkContext sc;
  private final int world;
  private final String driverHost;
  private final Duration slotWait;
  private SparkWorkers workers;
  private CompletableFuture<List<String>> current = CompletableFuture.completedFuture(List.of());

  /** Workers announce themselves to the coordinator at {@code driverHost}. */
  public SparkCluster(JavaSparkContext sc, int world, String driverHost, Duration slotWait) {
    this.sc = sc;
    this.world = world;
    this.driverHost = driverHost;
    this.slotWait = slotWait;
  }

  /**
   * Spark tasks leave with their generation (the whole stage is retried), so a generation after a
   * failure always asks for every rank: the stage that is left is cancelled first.
   */
  @Override
  public void launch(int generation, List<Integer> ranks, Coordinator coordinator, String jobId, String secret) {
    if (ranks.size() != world) {
      throw new IllegalStateException("a Spark stage runs all " + world + " ranks, not " + ranks);
    }
    if (workers == null) {
      workers = new SparkWorkers(sc, world, new WorkerContext(-1, 0, driverHost, coordinator.port(), jobId, secret,
          driverHost), slotWait);
    } else {
      stopStage();
    }
    current = workers.launch(generation);
    current.whenComplete((placed, failure) -> {
      if (failure != null) {
        coordinator.workerExited(generation, "the Spark stage of generation " + generation + " failed: "
            + rootMessage(failure), failure instanceof UserFacingFailure);
      }
    });
  }

  /** Longer than the wait for free task slots: a busy cluster must not time the coordinator out first. */
  @Override
  public long rendezvousTimeoutMs() {
    return slotWait.toMillis() + 120_000;
  }

  private void stopStage() {
    workers.cancel(); // interrupts the tasks that are left
    awaitStage(30);
  }

  @Override
  public void close(boolean jobSucceeded) {
    if (workers == null) return;
    if (!jobSucceeded) workers.cancel();
    awaitStage(jobSucceeded ? 60 : 30);
  }

  private void awaitStage(int seconds) {
    try {
      current.handle((placed, failure) -> null).get(seconds, TimeUnit.SECONDS);
    } catch (Exception stillRunning) {
      workers.cancel();
    }
  }

  /** The innermost message: a SparkException wraps the worker's own exception several times. */
  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}
