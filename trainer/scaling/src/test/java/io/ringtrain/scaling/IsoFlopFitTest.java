package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoFlopFitTest {
  private static final ScalingLaw LAW = new ScalingLaw(1.69, 406.4, 410.7, 0.34, 0.28);
  private static final double[] BUDGETS = {1e18, 1e19, 1e20, 1e21, 1e22};

  /**
   * Nine model sizes from a quarter to four times the law's optimum at each budget; FLOPs
   * jittered by up to 0.4%, as counts read back from real runs are.
   */
  private static List<ScalingPoint> isoFlopSweep(long seed) {
    ComputeOptimal optimal = new ComputeOptimal(LAW);
    Random random = new Random(seed);
    List<ScalingPoint> points = new ArrayList<>();
    for (double c : BUDGETS) {
      double center = optimal.forFlops(c).params();
      for (int i = -4; i <= 4; i++) {
        double n = center * Math.pow(2, i / 2.0);
        double flops = c * (1 + 0.004 * (random.nextDouble() - 0.5));
        double d = flops / (6 * n);
        points.add(new ScalingPoint(n, d, flops, LAW.loss(n, d)));
      }
    }
    return points;
  }

  @Test
  void findsTheMinimaOfEachBudget() {
    IsoFlopFit fit = IsoFlopFit.fit(isoFlopSweep(3));
    ComputeOptimal optimal = new ComputeOptimal(LAW);
    assertEquals(BUDGETS.length, fit.profiles().size());
    for (IsoFlopFit.Profile profile : fit.profiles()) {
      ComputeOptimal.Allocation exact = optimal.forFlops(profile.flops());
      // The parabola approximates the true profile, whose vertex it finds to a few percent.
      assertEquals(1, profile.paramsOpt() / exact.params(), 0.05, "N_opt at C=" + profile.flops());
      assertEquals(1, profile.tokensOpt() / exact.tokens(), 0.05, "D_opt at C=" + profile.flops());
      assertEquals(exact.loss(), profile.lossOpt(), 0.005, "minimum loss at C=" + profile.flops());
      assertTrue(profile.interior());
      assertEquals(9, profile.points().size());
    }
  }

  @Test
  void fitsThePowerLawsAcrossBudgets() {
    IsoFlopFit fit = IsoFlopFit.fit(isoFlopSweep(4));
    ComputeOptimal optimal = new ComputeOptimal(LAW);
    assertEquals(optimal.paramsExponent(), fit.paramsLaw().exponent(), 0.01);
    assertEquals(optimal.tokensExponent(), fit.tokensLaw().exponent(), 0.01);
    assertEquals(1, fit.paramsLaw().exponent() + fit.tokensLaw().exponent(), 1e-9);
    double c = 3e20;
    assertEquals(1, fit.paramsLaw().at(c) / optimal.forFlops(c).params(), 0.05);
  }

  @Test
  void skipsBudgetsWithTooFewModelSizes() {
    List<ScalingPoint> points = new ArrayList<>(isoFlopSweep(5));
    points.add(ScalingPoint.fromFlops(1e8, 5e23, 2.0));
    points.add(ScalingPoint.fromFlops(2e8, 5e23, 1.9));
    IsoFlopFit fit = IsoFlopFit.fit(points);
    assertEquals(BUDGETS.length, fit.profiles().size());
    assertEquals(1, fit.skipped().size());
    assertTrue(fit.skipped().get(0).contains("2 model size(s)"), fit.skipped().get(0));
  }

  @Test
  void takesExplicitBudgets() {
    List<ScalingPoint> points = isoFlopSweep(6);
    Map<Double, List<ScalingPoint>> budgets = Map.of(
        1e18, points.subList(0, 9), 1e19, points.subList(9, 18), 1e20, points.subList(18, 27));
    IsoFlopFit fit = IsoFlopFit.fitBudgets(budgets);
    assertEquals(List.of(1e18, 1e19, 1e20),
        fit.profiles().stream().map(IsoFlopFit.Profile::flops).toList());
  }

  @Test
  void needsTwoBudgets() {
    List<ScalingPoint> oneBudget = isoFlopSweep(7).subList(0, 9);
    FitException e = assertThrows(FitException.class, () -> IsoFlopFit.fit(oneBudget));
    assertTrue(e.getMessage().contains("needs 2 budgets"), e.getMessage());
  }

  @Test
  void powerLawFitsExactPowers() {
    PowerLaw law =
        PowerLaw.fit(new double[] {1, 10, 100}, new double[] {3, 30 * Math.sqrt(10), 3000});
    assertEquals(1.5, law.exponent(), 1e-12);
    assertEquals(3, law.coefficient(), 1e-9);
  }
}
