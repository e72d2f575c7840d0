package io.ringtrain.launch;

import io.ringtrain.coordinator.Coordinator;
import java.io.IOException;
import java.util.List;

/**
 * How a job's workers are placed: child JVMs on this machine, or a Spark barrier stage. The
 * coordinator decides when a generation ends; the launcher only starts and stops them.
 */
public interface WorkerLauncher {
  /**
   * Starts workers for {@code ranks} of {@code generation}, each asking for its rank; any worker of
   * those ranks still running from an earlier generation (stalled, or too late to come back) is
   * stopped first. A worker that cannot start or dies is reported to {@link Coordinator#workerExited}.
   */
  void launch(int generation, List<Integer> ranks, Coordinator coordinator, String jobId, String secret)
      throws IOException;

  /** How long the coordinator waits for a generation's workers to join: their start-up and placement. */
  default long rendezvousTimeoutMs() {
    return 120_000;
  }

  /** After the job's end: lets the workers say their last words, then stops them all. */
  void close(boolean jobSucceeded);
}
