package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.proto.StepReport;
import org.junit.jupiter.api.Test;

class StepAggregatorTest {
  private static StepReport report(long step, double loss) {
    return StepReport.newBuilder().setStep(step).setLoss(loss).setTokens(64).setTotalSteps(10).setLr(1e-3)
        .setGradNorm(0.5).setTokensSeen(step * 192).setParamsDigest(42).setComputeMs(10).build();
  }

  @Test
  void aStepIsRecordedTheSameWhateverOrderItsReportsArriveIn() {
    double[] losses = {0.1, 0.2, 0.3};
    StepAggregator forward = new StepAggregator(3);
    StepAggregator backward = new StepAggregator(3);
    StepSummary a = null;
    StepSummary b = null;
    for (int r = 0; r < 3; r++) {
      if (forward.add(r, report(1, losses[r])) instanceof StepAggregator.Complete c) a = c.summary();
      if (backward.add(2 - r, report(1, losses[2 - r])) instanceof StepAggregator.Complete c) b = c.summary();
    }
    assertEquals(a, b);
    assertEquals((0.1 + 0.2 + 0.3) / 3, a.loss());
    assertEquals(192, a.tokens());
  }

  @Test
  void aStepCompletedBySurvivorsIsRecordedWholeWithTheLostRanksEarlyLoss() {
    StepAggregator steps = new StepAggregator(3);
    StepAggregator whole = new StepAggregator(3);
    steps.lossKnown(1, 5, 0.2); // rank 1 computed its loss, sent its gradients, and died
    assertTrue(steps.completedWithoutTheLost(5).isEmpty(), "nobody completed step 5 yet");
    assertInstanceOf(StepAggregator.Pending.class, steps.add(0, report(5, 0.1)));
    assertTrue(steps.completedWithoutTheLost(5).isEmpty(), "rank 2's loss is not known");
    steps.lossKnown(2, 5, 0.3);
    StepSummary survivors = steps.completedWithoutTheLost(5).orElseThrow().summary();
    whole.add(0, report(5, 0.1));
    whole.add(1, report(5, 0.2));
    StepSummary uninterrupted = ((StepAggregator.Complete) whole.add(2, report(5, 0.3))).summary();
    assertEquals(uninterrupted, survivors);
    assertTrue(steps.completedWithoutTheLost(5).isEmpty(), "recorded once");
  }

  @Test
  void differingDigestsAreCaughtAndNamed() {
    StepAggregator steps = new StepAggregator(2);
    steps.add(0, report(3, 0.1));
    StepAggregator.Outcome o = steps.add(1, report(3, 0.1).toBuilder().setParamsDigest(43).build());
    StepAggregator.Diverged d = assertInstanceOf(StepAggregator.Diverged.class, o);
    assertTrue(d.reason().contains("ranks 0 and 1 hold different parameters after step 3"), d.reason());
  }
}
