package io.ringtrain.worker;

/**
 * One worker's life in a job: join the coordinator, connect the ring, restore what the coordinator
 * names, train, report. The same code runs in a child JVM of {@code simulate} and in a Spark task.
 */
public final class Worker {
  private Worker() {}

  /**
   * Runs this worker until the job ends for it; returns 0 when it finished its share of the job.
   *
   * @throws Exception naming the cause when the job failed or this worker was refused
   */
  public static int run(WorkerContext ctx) throws Exception {
    return WorkerMain.run(ctx.coordinatorHost(), ctx.coordinatorPort(), ctx.jobId(), ctx.secret(), ctx.bindHost(),
        false);
  }
}
