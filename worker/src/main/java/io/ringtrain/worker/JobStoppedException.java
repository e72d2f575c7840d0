package io.ringtrain.worker;

import java.io.IOException;

/**
 * The coordinator ended the job for this worker, refused it, or ended its generation
 * ({@link #restart()}: the job goes on with new workers).
 */
public final class JobStoppedException extends IOException {
  private final int exitCode;
  private final boolean restart;

  public JobStoppedException(String message, int exitCode, boolean restart) {
    super(message);
    this.exitCode = exitCode;
    this.restart = restart;
  }

  /** The exit code the coordinator gave the job (2 for a refused worker). */
  public int exitCode() {
    return exitCode;
  }

  public boolean restart() {
    return restart;
  }
}
