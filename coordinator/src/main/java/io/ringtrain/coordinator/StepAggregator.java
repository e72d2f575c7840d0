package io.ringtrain.coordinator;

import io.ringtrain.proto.StepReport;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Folds one generation's per-rank step reports into one summary per global step. Ranks come from
 * the authenticated connection, never from the report, and each counts once per step. Losses are
 * summed in rank order, so a step's record does not depend on the order its reports arrived in.
 */
final class StepAggregator {
  private final int world;
  private final Map<Long, Totals> open = new HashMap<>();

  private final class Totals {
    final BitSet reported = new BitSet();
    final BitSet lossKnown = new BitSet();
    final double[] losses = new double[world];
    StepReport first;
    int firstRank;
    double maxComputeMs;
    double maxAllreduceMs;
    double maxRestoreMs;

    void loss(int rank, double loss) {
      losses[rank] = loss;
      lossKnown.set(rank);
    }
  }

  /** A step every rank reported, or a disagreement between two ranks' parameters. */
  interface Outcome {}

  record Pending() implements Outcome {}

  private static final Pending PENDING = new Pending();

  record Complete(StepSummary summary, double maxRestoreMs) implements Outcome {}

  record Diverged(String reason) implements Outcome {}

  StepAggregator(int world) {
    this.world = world;
  }

  /** {@code rank}'s loss for {@code step}, sent before its gradients were. */
  void lossKnown(int rank, long step, double loss) {
    Totals t = open.computeIfAbsent(step, s -> new Totals());
    if (!t.lossKnown.get(rank)) t.loss(rank, loss);
  }

  Outcome add(int rank, StepReport r) {
    Totals t = open.computeIfAbsent(r.getStep(), s -> new Totals());
    if (t.reported.get(rank)) return PENDING; // a repeat counts once
    if (t.first == null) {
      t.first = r;
      t.firstRank = rank;
    } else if (r.getParamsDigest() != t.first.getParamsDigest()) {
      return new Diverged("ranks " + t.firstRank + " and " + rank + " hold different parameters after step "
          + r.getStep() + ": the all-reduce or the kernels are not deterministic");
    }
    t.reported.set(rank);
    t.loss(rank, r.getLoss());
    t.maxComputeMs = Math.max(t.maxComputeMs, r.getComputeMs());
    t.maxAllreduceMs = Math.max(t.maxAllreduceMs, r.getAllreduceMs());
    t.maxRestoreMs = Math.max(t.maxRestoreMs, r.getRestoreMs());
    if (t.reported.cardinality() < world) return PENDING;
    return complete(r.getStep());
  }

  /**
   * {@code step} as the uninterrupted run would record it, though some ranks were lost before they
   * reported it: it needs one rank's full report (so the step was completed: every rank's gradients
   * were in) and every other rank's loss. Timings are those of the ranks that reported.
   */
  Optional<Complete> completedWithoutTheLost(long step) {
    Totals t = open.get(step);
    if (t == null || t.first == null || t.lossKnown.cardinality() < world) return Optional.empty();
    return Optional.of(complete(step));
  }

  private Complete complete(long step) {
    Totals t = open.remove(step);
    double loss = 0;
    for (int r = 0; r < world; r++) loss += t.losses[r];
    StepReport f = t.first;
    // Every rank trains on the same number of tokens per step.
    return new Complete(new StepSummary(step, f.getTotalSteps(), loss / world, f.getLr(), f.getGradNorm(),
        f.getTokens() * world, f.getTokensSeen(), t.maxComputeMs, t.maxAllreduceMs, world), t.maxRestoreMs);
  }
}
