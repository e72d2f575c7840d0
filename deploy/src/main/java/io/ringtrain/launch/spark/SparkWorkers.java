package io.ringtrain.launch.spark;

import io.ringtrain.worker.WorkerContext;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The job's N workers as one Spark barrier stage: N tasks scheduled together, task i runs the
 * worker of rank i (its partition id, the same on every attempt, so the ring order never changes).
 * The driver hosts the coordinator; the template names it.
 *
 * <p>Each {@link #launch} is a Spark job of its own whose only stage is a barrier ResultStage.
 * Spark never retries a failed barrier ResultStage ("Could not recover from a failed barrier
 * ResultStage"), so one failed or lost worker ends the attempt and the returned future carries
 * the cause: the coordinator's restart loop decides whether to launch attempt + 1 from the last
 * checkpoint. docs/cluster.md says why this beats letting Spark retry a ShuffleMapStage.
 */
public final class SparkWorkers {
  private static final ClassTag<String> STRING = ClassTag$.MODULE$.apply(String.class);

  private final JavaSparkContext sc;
  private final int workers;
  private final WorkerContext template;
  private final Duration slotWait;
  private volatile String runningGroup;

  /**
   * @param template the coordinator's host and port, the job id and the secret; its rank, attempt
   *     and bind host are ignored (each task's come from Spark and from {@link #launch})
   * @param slotWait how long {@link #launch} waits for executors to offer N free task slots
   * @throws io.ringtrain.launch.UserFacingFailure (exit code 2) when dynamic allocation is on
   */
  public SparkWorkers(JavaSparkContext sc, int workers, WorkerContext template, Duration slotWait) {
    if (workers < 1) throw new IllegalArgumentException("workers " + workers + " must be >= 1");
    this.sc = Objects.requireNonNull(sc, "sc");
    this.workers = workers;
    this.template = Objects.requireNonNull(template, "template");
    this.slotWait = Objects.requireNonNull(slotWait, "slotWait");
    TaskSlots.refuseDynamicAllocation(sc.getConf());
  }

  /**
   * Starts attempt {@code attempt} of the workers once N task slots are free. The future
   * completes, when the stage ends, with where each rank ran ("rank 0 on host"), or exceptionally
   * with the cause: a {@link io.ringtrain.launch.UserFacingFailure} when the slots never came, else
   * the SparkException of the failed stage (its message holds the failed worker's exception).
   */
  public CompletableFuture<List<String>> launch(int attempt) {
    CompletableFuture<List<String>> done = new CompletableFuture<>();
    String group = template.jobId() + "-workers-" + attempt;
    Thread driver = new Thread(() -> {
      // The job group is the calling thread's: set here, on the thread that submits the job.
      // interruptOnCancel: when one task fails, Spark kills the others by interrupting their
      // threads, so a worker blocked in the ring's I/O ends at once instead of at its timeout.
      sc.setJobGroup(group, "ringtrain " + workers + " workers, attempt " + attempt, true);
      try {
        TaskSlots.awaitFree(sc.sc(), workers, slotWait);
        runningGroup = group;
        RDD<Integer> ranks = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).rdd();
        List<String> placed = ranks.barrier().mapPartitions(new BarrierWorkerTask(template, attempt), false, STRING)
            .toJavaRDD().collect();
        done.complete(placed);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      } finally {
        runningGroup = null;
        sc.clearJobGroup();
      }
    }, "ringtrain-spark-workers-" + attempt);
    driver.setDaemon(true);
    driver.start();
    return done;
  }

  /** Cancels the running attempt, if any; its future then completes exceptionally. */
  public void cancel() {
    String group = runningGroup;
    if (group != null) sc.cancelJobGroup(group);
  }
}
