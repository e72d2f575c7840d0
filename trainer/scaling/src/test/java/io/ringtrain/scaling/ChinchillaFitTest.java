package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The fitter reproduces Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt") on
 * the 245 reconstructed points less the 5 highest losses: E = 1.817, A = 482.01, B = 2085.43,
 * alpha = 0.3478, beta = 0.3658 (see the README beside the data).
 */
@Tag("shared-data")
class ChinchillaFitTest {
  private static final ScalingLaw PUBLISHED =
      new ScalingLaw(1.817, 482.01, 2085.43, 0.3478, 0.3658);

  private static List<ScalingPoint> points;
  private static ScalingLawFit fit;

  @BeforeAll
  static void fitOnce() throws Exception {
    points = ChinchillaData.lessFiveHighestLosses();
    long start = System.nanoTime();
    fit = ScalingLawFit.fit(points);
    System.out.printf("Chinchilla fit from %d starts: %.2f s, %s%n",
        ScalingLawFit.grid().size(), (System.nanoTime() - start) / 1e9, fit.law());
  }

  @Test
  void dropsTheFiveHighestLosses() throws Exception {
    assertEquals(245, ChinchillaData.all().size());
    assertEquals(240, points.size());
  }

  @Test
  void reproducesThePublishedParameters() {
    ScalingLaw law = fit.law();
    // E and the exponents are well determined; A and B trade off against the exponents along a
    // flat valley, so they get wider (but still failing) tolerances.
    assertRelative(PUBLISHED.E(), law.E(), 0.02, "E");
    assertRelative(PUBLISHED.alpha(), law.alpha(), 0.02, "alpha");
    assertRelative(PUBLISHED.beta(), law.beta(), 0.02, "beta");
    assertRelative(PUBLISHED.A(), law.A(), 0.15, "A");
    assertRelative(PUBLISHED.B(), law.B(), 0.15, "B");
    double a = law.beta() / (law.alpha() + law.beta());
    assertEquals(0.513, a, 0.01, "compute-optimal exponent a = beta / (alpha + beta)");
  }

  @Test
  void findsAMinimumAtLeastAsLowAsThePublishedOne() {
    double[] ones = new double[points.size()];
    Arrays.fill(ones, 1);
    HuberLogLoss objective = new HuberLogLoss(points, ones, ScalingLawFit.HUBER_DELTA);
    double[] published = {
      Math.log(PUBLISHED.A()), Math.log(PUBLISHED.B()), Math.log(PUBLISHED.E()),
      PUBLISHED.alpha(), PUBLISHED.beta()
    };
    double atPublished = objective.evaluate(published, new double[5]) * ScalingLawFit.HUBER_DELTA;
    assertTrue(fit.objective() <= atPublished * (1 + 1e-9),
        "fitted objective " + fit.objective() + " above the published parameters' " + atPublished);
  }

  @Test
  void bootstrapIntervalsLookLikeThePublishedOnes() {
    Intervals ci = fit.bootstrap(100, 7);
    System.out.println("Chinchilla bootstrap (100 resamples): " + ci);
    ScalingLaw law = fit.law();
    // Each interval holds the point estimate and overlaps the published 95% interval.
    assertInterval(ci.E(), law.E(), 1.769, 1.871, "E");
    assertInterval(ci.A(), law.A(), 285, 744, "A");
    assertInterval(ci.B(), law.B(), 1042, 5810, "B");
    assertInterval(ci.alpha(), law.alpha(), 0.317, 0.373, "alpha");
    assertInterval(ci.beta(), law.beta(), 0.331, 0.415, "beta");
    assertTrue(ci.E().hi() - ci.E().lo() < 0.3, "E interval implausibly wide: " + ci.E());
  }

  private static void assertRelative(
      double expected, double actual, double tolerance, String name) {
    assertTrue(Math.abs(actual / expected - 1) <= tolerance,
        String.format("%s = %.5g, published %.5g (tolerance %.0f%%)", name, actual, expected,
            tolerance * 100));
  }

  private static void assertInterval(
      Interval ci, double estimate, double publishedLo, double publishedHi, String name) {
    assertTrue(ci.contains(estimate),
        name + " interval " + ci + " misses the estimate " + estimate);
    assertTrue(ci.lo() < publishedHi && ci.hi() > publishedLo,
        name + " interval " + ci + " disjoint from the published [" + publishedLo + ", "
            + publishedHi + "]");
  }
}
