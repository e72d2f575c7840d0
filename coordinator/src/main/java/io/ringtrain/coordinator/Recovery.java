package io.ringtrain.coordinator;

/**
 * One recovery, complete once the new generation finished its first step.
 *
 * @param generation the generation that recovered (1 for the first restart)
 * @param cause what ended the generation before it
 * @param failedAtStep the last step every rank of the failed generation completed
 * @param restoredStep the step the new generation restored (0: from scratch)
 * @param source where that state came from: "peer rank R" (a survivor's memory), a checkpoint's
 *     path, or "scratch"
 * @param detectedUnixMs when the coordinator declared the failure
 * @param relaunchMs from the failure to the new generation's assignment: back-off, JVM start, rendezvous
 * @param restoreMs the slowest rank's load of the restore point
 * @param totalMs from the failure to the new generation's first completed step
 */
public record Recovery(int generation, String cause, long failedAtStep, long restoredStep, String source, long detectedUnixMs,
    double relaunchMs, double restoreMs, double totalMs) {
  public long stepsLost() {
    return Math.max(0, failedAtStep - restoredStep);
  }
}
