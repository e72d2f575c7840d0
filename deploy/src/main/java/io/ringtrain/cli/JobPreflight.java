package io.ringtrain.cli;

import io.ringtrain.data.DataLoader;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.plan.MemoryEstimate;
import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.InvalidJobSpecException;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.EvalBatches;
import io.ringtrain.train.TrainingData;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * Every refusal a job can meet before it trains, checked before its run directory gets a file:
 * exit 2 or 3 promises that nothing changed. The data must open and hold one global batch (and
 * one evaluation batch), the model must fit the workers' heaps, and a fixed coordinator port must
 * be free.
 */
final class JobPreflight {
  private JobPreflight() {}

  static void check(JobSpec spec, Configuration conf) throws IOException {
    // resume takes its spec from a checkpoint and overrides flags that no parser has checked.
    List<String> problems = JobSpecs.problems(spec);
    if (!problems.isEmpty()) throw new InvalidJobSpecException(spec.getOut(), problems);
    int workers = spec.getCluster().getWorkers();
    int batch = spec.getData().getBatchSize();
    int context = spec.getModel().getBlockSize();
    try (TrainingData data = TrainingData.open(spec, conf)) {
      // Built as the trainer builds them, for their checks alone.
      new DataLoader(data.train(), 0, workers, batch, context, spec.getSeed());
      if (data.val() != null) {
        new EvalBatches(data.val(), batch, context, spec.getSchedule().getEvalBatches(),
            workers * spec.getSchedule().getGradAccum());
      }
    }
    memory(spec, workers);
    if (workers > 1) coordinatorPort(spec.getCluster());
  }

  /** One worker trains in this JVM; more run in JVMs of the default heap, all on this machine. */
  private static void memory(JobSpec spec, int workers) {
    MemoryEstimate need = MemoryEstimate.of(spec);
    Runtime rt = Runtime.getRuntime();
    long heap = workers == 1 ? rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()) : MemoryEstimate.defaultHeapBytes();
    String heapSource = workers == 1
        ? "this JVM has " + MemoryEstimate.gib(heap) + " of heap free (raise it with RINGTRAIN_JAVA_OPTS=-Xmx...)"
        : "each worker JVM gets " + MemoryEstimate.gib(heap) + " of heap (a quarter of this machine's memory)";
    need.problem(spec, heap, heapSource).ifPresent(p -> {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, p);
    });
    long physical = MemoryEstimate.physicalMemoryBytes();
    double all = (double) workers * (need.bytes() + MemoryEstimate.JVM_OVERHEAD_BYTES);
    if (workers > 1 && all > physical) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, workers + " worker JVMs need about "
          + MemoryEstimate.gib((long) Math.min(all, Long.MAX_VALUE)) + " together, more than this machine's "
          + MemoryEstimate.gib(physical) + ": use fewer workers or a smaller model");
    }
  }

  private static void coordinatorPort(ClusterSpec cluster) {
    if (cluster.getCoordinatorPort() == 0) return;
    String at = cluster.getCoordinatorHost() + ":" + cluster.getCoordinatorPort();
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(cluster.getCoordinatorHost(), cluster.getCoordinatorPort()));
    } catch (IOException e) {
      throw new UserFacingFailure(ExitCodes.IO_ERROR, "coordinator cannot listen on " + at + ": " + e.getMessage()
          + " (is the port in use? pick another cluster.coordinator_port, or 0 for a free one)");
    }
  }
}
