package io.ringtrain.launch.spark;

import io.ringtrain.worker.Worker;
import io.ringtrain.worker.WorkerContext;
import java.io.Serializable;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task: the worker of rank = partition id, run by the same
 * {@link Worker#run} that {@code simulate}'s child JVMs run.
 *
 * <p>The job's secret travels inside this serialized function (the task binary Spark broadcasts to
 * the executors), never in a command line, an environment variable or a Spark property, so the
 * Spark UI, the event log and {@code ps} never show it.
 */
final class BarrierWorkerTask extends AbstractFunction1<Iterator<Integer>, Iterator<String>> implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int attempt;
  private final String coordinatorHost;
  private final int coordinatorPort;
  private final String jobId;
  private final String secret;

  /** {@code template} gives the coordinator, job id and secret; rank and bind host come from Spark. */
  BarrierWorkerTask(WorkerContext template, int attempt) {
    this.attempt = attempt;
    this.coordinatorHost = template.coordinatorHost();
    this.coordinatorPort = template.coordinatorPort();
    this.jobId = template.jobId();
    this.secret = template.secret();
  }

  @Override
  public Iterator<String> apply(Iterator<Integer> ignoredPartition) {
    BarrierTaskContext task = BarrierTaskContext.get();
    int rank = task.partitionId();
    String host = executorHost(task.getTaskInfos()[rank]);
    WorkerContext ctx = new WorkerContext(rank, attempt, coordinatorHost, coordinatorPort, jobId, secret, host);
    int code;
    try {
      code = Worker.run(ctx);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(ctx + " failed: " + e.getMessage(), e);
    }
    if (code != 0) throw new IllegalStateException(ctx + " ended with exit code " + code);
    return CollectionConverters.asScala(java.util.List.of("rank " + rank + " on " + host).iterator());
  }

  /** The host of a barrier task's executor, from Spark's "host:port" ("[v6 address]:port"). */
  static String executorHost(BarrierTaskInfo info) {
    String address = info.address();
    String host = address.substring(0, address.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }
}
