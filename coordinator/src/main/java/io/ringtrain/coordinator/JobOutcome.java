package io.ringtrain.coordinator;

/** How a job ended: {@code exitCode} 0 when every worker finished, else why it stopped. */
public record JobOutcome(int exitCode, String reason) {
  public boolean ok() {
    return exitCode == 0;
  }
}
