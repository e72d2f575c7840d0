package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ComputeOptimalTest {
  private static final ScalingLaw HOFFMANN = new ScalingLaw(1.69, 406.4, 410.7, 0.34, 0.28);
  private static final ScalingLaw REPLICATION =
      new ScalingLaw(1.817, 482.01, 2085.43, 0.3478, 0.3658);

  @Test
  void closedFormMatchesNumericMinimisation() {
    for (ScalingLaw law : new ScalingLaw[] {HOFFMANN, REPLICATION}) {
      ComputeOptimal optimal = new ComputeOptimal(law);
      for (double c = 1e17; c <= 1e25; c *= 100) {
        ComputeOptimal.Allocation closed = optimal.forFlops(c);
        double numeric = argminAlongIsoFlop(law, c);
        assertEquals(1, closed.params() / numeric, 1e-6, "N_opt at C=" + c + " for " + law);
        assertEquals(c, 6 * closed.params() * closed.tokens(), 1e-9 * c, "6ND = C");
        assertEquals(law.loss(numeric, c / (6 * numeric)), closed.loss(), 1e-12);
      }
    }
  }

  /** Golden-section search for the N minimising L(N, C/6N) over N in [1, 1e15]. */
  private static double argminAlongIsoFlop(ScalingLaw law, double c) {
    double lo = 0;
    double hi = Math.log(1e15);
    double ratio = (Math.sqrt(5) - 1) / 2;
    while (hi - lo > 1e-10) {
      double x1 = hi - ratio * (hi - lo);
      double x2 = lo + ratio * (hi - lo);
      double n1 = Math.exp(x1);
      double n2 = Math.exp(x2);
      if (law.loss(n1, c / (6 * n1)) < law.loss(n2, c / (6 * n2))) {
        hi = x2;
      } else {
        lo = x1;
      }
    }
    return Math.exp((lo + hi) / 2);
  }

  @Test
  void chinchillaBudgetGivesAboutTwentyTokensPerParameterUnderTheReplicationFit() {
    // Chinchilla's own budget (70B parameters, 1.4T tokens): the replication's law puts the
    // optimum near its 20 tokens per parameter.
    ComputeOptimal.Allocation allocation =
        new ComputeOptimal(REPLICATION).forFlops(6 * 70e9 * 1.4e12);
    assertEquals(20, allocation.tokensPerParam(), 10);
    assertEquals(0.513, new ComputeOptimal(REPLICATION).paramsExponent(), 0.001);
  }

  @Test
  void hoursTimesThroughputIsTheBudget() {
    ComputeOptimal optimal = new ComputeOptimal(HOFFMANN);
    assertEquals(optimal.forFlops(10 * 3600 * 150e9), optimal.forHours(10, 150e9));
  }

  @Test
  void predictsTheLawsLoss() {
    assertEquals(HOFFMANN.loss(1e9, 2e10), new ComputeOptimal(HOFFMANN).loss(1e9, 2e10));
    assertEquals(1.69 + 406.4 / Math.pow(1e9, 0.34) + 410.7 / Math.pow(2e10, 0.28),
        HOFFMANN.loss(1e9, 2e10), 1e-12);
  }

  @Test
  void rejectsLawsWithoutATradeOff() {
    assertThrows(
        FitException.class, () -> new ComputeOptimal(new ScalingLaw(1.7, 400, 400, 0, 0.3)));
    assertThrows(IllegalArgumentException.class, () -> new ComputeOptimal(HOFFMANN).forFlops(-1));
  }
}
