package io.ringtrain.launch.spark;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import java.time.Duration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkExecutorInfo;

/**
 * Whether the cluster can run a barrier stage of N tasks now. Spark's own check (at job
 * submission) retries every 15 s and gives up only after 40 failures, ten minutes in which a
 * misconfigured job just hangs; and after a failure it does not check again at all. This one names
 * the numbers and what to change, at once when the configuration cannot work, after a bounded wait
 * for executors to register otherwise.
 */
final class TaskSlots {
  private static final long POLL_MS = 200;

  private TaskSlots() {}

  /** A barrier stage cannot run under dynamic allocation (Spark refuses it); say so before starting. */
  static void refuseDynamicAllocation(SparkConf conf) {
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "spark.dynamicAllocation.enabled is true, but the workers run"
          + " as one barrier stage, which Spark cannot schedule under dynamic allocation: submit with"
          + " --conf spark.dynamicAllocation.enabled=false and --num-executors set to the number of workers");
    }
  }

  /**
   * Waits up to {@code wait} until {@code needed} task slots are free; fails naming the numbers.
   *
   * @throws UserFacingFailure with exit code 2 when the configured executors can never offer the
   *     slots, 3 when they could but did not register (or stay busy) within {@code wait}
   */
  static void awaitFree(SparkContext sc, int needed, Duration wait) throws InterruptedException {
    SparkConf conf = sc.getConf();
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    refuseTooFewConfigured(conf, sc.isLocal(), needed, taskCpus);
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      int total = totalSlots(sc);
      int busy = runningTasks(sc);
      if (total - busy >= needed) return;
      if (System.nanoTime() >= deadline) {
        int executors = executors(sc);
        throw new UserFacingFailure(ExitCodes.IO_ERROR, "the workers need " + needed + " task slots at once (one barrier"
            + " stage), but after waiting " + wait.toSeconds() + " s the cluster offers " + (total - busy) + " free ("
            + total + " slots on " + executors + " executor(s) at spark.task.cpus=" + taskCpus + ", " + busy
            + " busy): " + advice(conf, sc.isLocal(), executors));
      }
      Thread.sleep(POLL_MS);
    }
  }

  /**
   * What to change. Executors that were asked for but never registered are the cluster manager's
   * doing: YARN keeps a container request that no NodeManager can hold pending for ever, without
   * a word in the driver's log, so name the container's size and the limits it must fit.
   */
  private static String advice(SparkConf conf, boolean local, int registered) {
    int requested = conf.getInt("spark.executor.instances", 0);
    if (local || registered >= requested) {
      return "give the job more executors (--num-executors, spark.executor.cores = spark.task.cpus), free the"
          + " cluster, or run fewer workers";
    }
    return "only " + registered + " of the spark.executor.instances=" + requested + " executors registered, so the"
        + " cluster manager never started the others. On YARN each is a container of spark.executor.memory="
        + conf.get("spark.executor.memory", "1g") + " plus spark.executor.memoryOverhead (by default 10 %, at least"
        + " 384 MB) and spark.executor.cores=" + conf.getInt("spark.executor.cores", 1) + " vcores; YARN grants it"
        + " only on a NodeManager with that much free (yarn.nodemanager.resource.memory-mb, less the containers"
        + " running there, the ApplicationMaster's included) and never refuses one that no node can hold: make the"
        + " executors smaller, the nodes bigger, or free the cluster (on standalone, an executor must fit a worker's"
        + " free memory and cores)";
  }

  /** A static allocation that is too small fails now, not after a wait. */
  private static void refuseTooFewConfigured(SparkConf conf, boolean local, int needed, int taskCpus) {
    if (local || !conf.contains("spark.executor.instances")) return;
    int instances = conf.getInt("spark.executor.instances", 0);
    int cores = conf.getInt("spark.executor.cores", 1);
    int slots = instances * (cores / taskCpus);
    if (slots < needed) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "the workers need " + needed + " task slots at once (one barrier"
          + " stage), but spark.executor.instances=" + instances + " executors with spark.executor.cores=" + cores
          + " and spark.task.cpus=" + taskCpus + " offer only " + slots + ": submit with --num-executors " + needed
          + " and spark.executor.cores = spark.task.cpus (one worker per executor)");
    }
  }

  /**
   * Slots on the executors registered now, counted as DAGScheduler's barrier check counts them (the
   * default resource profile: cores and any GPUs per task). {@code maxNumConcurrentTasks} is
   * Spark-internal Scala API, public in the bytecode; it is the only count that honours task
   * resources.
   */
  private static int totalSlots(SparkContext sc) {
    return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
  }

  private static int runningTasks(SparkContext sc) {
    int running = 0;
    for (SparkExecutorInfo e : sc.statusTracker().getExecutorInfos()) running += e.numRunningTasks();
    return running;
  }

  /** Executors that run tasks: the driver counts only in local mode, where it is the executor. */
  private static int executors(SparkContext sc) {
    int all = sc.statusTracker().getExecutorInfos().length;
    return sc.isLocal() ? all : all - 1;
  }
}
