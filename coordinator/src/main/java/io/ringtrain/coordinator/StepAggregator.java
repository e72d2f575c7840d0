package io.ringtrain.coordinator;

import io.ringtrain.proto.StepReport;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Folds one generation's per-rank step reports into one summary per global step. Ranks come from
 * the authenticated connection, never from the report, and each counts once per step.
 */
final class StepAggregator {
  private final int world;
  private final Map<Long, Totals> open = new HashMap<>();

  private static final class Totals {
    final BitSet ranks = new BitSet();
    StepReport first;
    int firstRank;
    double loss;
    long tokens;
    double maxComputeMs;
    double maxAllreduceMs;
    double maxRestoreMs;
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

  Outcome add(int rank, StepReport r) {
    Totals t = open.computeIfAbsent(r.getStep(), s -> new Totals());
    if (t.ranks.get(rank)) return PENDING; // a repeat counts once
    if (t.first == null) {
      t.first = r;
      t.firstRank = rank;
    } else if (r.getParamsDigest() != t.first.getParamsDigest()) {
      return new Diverged("ranks " + t.firstRank + " and " + rank + " hold different parameters after step "
          + r.getStep() + ": the all-reduce or the kernels are not deterministic");
    }
    t.ranks.set(rank);
    t.loss += r.getLoss();
    t.tokens += r.getTokens();
    t.maxComputeMs = Math.max(t.maxComputeMs, r.getComputeMs());
    t.maxAllreduceMs = Math.max(t.maxAllreduceMs, r.getAllreduceMs());
    t.maxRestoreMs = Math.max(t.maxRestoreMs, r.getRestoreMs());
    if (t.ranks.cardinality() < world) return PENDING;
    open.remove(r.getStep());
    StepReport f = t.first;
    return new Complete(new StepSummary(r.getStep(), f.getTotalSteps(), t.loss / world, f.getLr(), f.getGradNorm(),
        t.tokens, f.getTokensSeen(), t.maxComputeMs, t.maxAllreduceMs, world), t.maxRestoreMs);
  }
}
