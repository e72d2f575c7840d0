package io.ringtrain.coordinator;

import io.ringtrain.proto.CheckpointPolicy;
import io.ringtrain.proto.CheckpointReport;
import java.util.Optional;

/**
 * Turns wall-clock checkpoint intervals into steps: every T minutes, or Young/Daly's optimum
 * sqrt(2 · MTBF · C) with C the measured time from snapshot to commit. The coordinator asks the
 * writing rank for the step after the one every rank just completed; the writer saves at the first
 * boundary at or after it, so an order that arrives late still lands on a step all ranks passed.
 */
final class SafetyCheckpoints {
  private final double everyMs;
  private final boolean auto;
  private final double mtbfMs;
  private long lastMs = System.currentTimeMillis();
  private double checkpointMs = Double.NaN;
  private long orderedStep = -1;

  SafetyCheckpoints(CheckpointPolicy policy) {
    this.everyMs = policy.getEveryMinutes() * 60_000;
    this.auto = policy.getEveryAuto();
    this.mtbfMs = policy.getMtbfHours() * 3_600_000;
  }

  /** The interval in use, in ms; 0 when there is none (yet). */
  double intervalMs() {
    if (auto) return Double.isNaN(checkpointMs) ? 0 : Math.sqrt(2 * mtbfMs * checkpointMs);
    return everyMs;
  }

  /** After every rank completed {@code step}: the step to save at, if a save is due. */
  Optional<Long> due(long step, long nowMs) {
    if (orderedStep > step) return Optional.empty(); // an order is on its way
    boolean measure = auto && Double.isNaN(checkpointMs); // Young/Daly needs C: measure it once at once
    double interval = intervalMs();
    if (!measure && (interval <= 0 || nowMs - lastMs < interval)) return Optional.empty();
    lastMs = nowMs;
    orderedStep = step + 1;
    return Optional.of(orderedStep);
  }

  /** Any committed checkpoint restarts the clock, and measures C. */
  void committed(CheckpointReport r) {
    lastMs = System.currentTimeMillis();
    checkpointMs = r.getSnapshotMs() + r.getWriteMs();
  }
}
