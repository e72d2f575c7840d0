package io.ringtrain.launch;

import io.ringtrain.coordinator.Coordinator;
import java.io.IOException;

/**
 * How a job's workers are placed: child JVMs on this machine, or a Spark barrier stage. The
 * coordinator decides when a generation ends; the launcher only starts and stops them.
 */
public interface WorkerLauncher {
  /**
   * Starts {@code generation}'s workers, rank i asking for rank i. A worker that cannot start or
   * dies is reported to {@link Coordinator#workerExited}.
   */
  void launch(int generation, Coordinator coordinator, String jobId, String secret) throws IOException;

  /** How long the coordinator waits for a generation's workers to join: their start-up and placement. */
  default long rendezvousTimeoutMs() {
    return 120_000;
  }

  /** Stops what is left of the current generation (its survivors were told to leave). */
  void stopGeneration();

  /** After the job's end: lets the workers say their last words, then stops them all. */
  void close(boolean jobSucceeded);
}
