package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScalingLawFitTest {
  private static final ScalingLaw TRUE_LAW = new ScalingLaw(1.69, 406.4, 410.7, 0.34, 0.28);

  private static List<ScalingPoint> noisy;
  private static ScalingLawFit noisyFit;

  /** Synthetic sweeps of a known law need no more starts: published fits keep the default (ChinchillaFitTest). */
  @BeforeAll
  static void fitNoisySweep() {
    noisy = sweep(TRUE_LAW, 0.01, 1);
    noisyFit = coarseFit(noisy);
  }

  static ScalingLawFit coarseFit(List<ScalingPoint> points) {
    return ScalingLawFit.fit(points, ScalingLawFit.HUBER_DELTA, ScalingLawFit.coarseGrid());
  }

  /** Model sizes 10M..3B and 20M..60B tokens, loss times exp(noise·N(0,1)). */
  static List<ScalingPoint> sweep(ScalingLaw law, double noise, long seed) {
    Random random = new Random(seed);
    List<ScalingPoint> points = new ArrayList<>();
    for (double n = 1e7; n <= 3e9; n *= 2.2) {
      for (double d = 2e7; d <= 6e10; d *= 2.7) {
        double loss = law.loss(n, d) * Math.exp(noise * random.nextGaussian());
        points.add(ScalingPoint.of(n, d, loss));
      }
    }
    return points;
  }

  @Test
  void recoversExactParametersWithoutNoise() {
    ScalingLaw law = coarseFit(sweep(TRUE_LAW, 0, 1)).law();
    assertEquals(TRUE_LAW.E(), law.E(), 1e-3 * TRUE_LAW.E(), "E " + law);
    assertEquals(TRUE_LAW.alpha(), law.alpha(), 1e-3, "alpha " + law);
    assertEquals(TRUE_LAW.beta(), law.beta(), 1e-3, "beta " + law);
    assertEquals(TRUE_LAW.A(), law.A(), 0.01 * TRUE_LAW.A(), "A " + law);
    assertEquals(TRUE_LAW.B(), law.B(), 0.01 * TRUE_LAW.B(), "B " + law);
  }

  @Test
  void recoversParametersFromNoisyPoints() {
    ScalingLaw law = noisyFit.law();
    assertEquals(TRUE_LAW.E(), law.E(), 0.03 * TRUE_LAW.E(), "E " + law);
    assertEquals(TRUE_LAW.alpha(), law.alpha(), 0.03, "alpha " + law);
    assertEquals(TRUE_LAW.beta(), law.beta(), 0.03, "beta " + law);
    assertEquals(Math.log(TRUE_LAW.A()), Math.log(law.A()), 0.5, "A " + law);
    assertEquals(Math.log(TRUE_LAW.B()), Math.log(law.B()), 0.5, "B " + law);
  }

  @Test
  void bootstrapIntervalsCoverTheTruthAndAreReproducible() {
    Intervals ci = noisyFit.bootstrap(60, 11);
    assertTrue(ci.E().contains(TRUE_LAW.E()), "E " + ci.E());
    assertTrue(ci.alpha().contains(TRUE_LAW.alpha()), "alpha " + ci.alpha());
    assertTrue(ci.beta().contains(TRUE_LAW.beta()), "beta " + ci.beta());
    assertTrue(ci.alpha().lo() < ci.alpha().hi(), "degenerate interval " + ci.alpha());
    assertEquals(ci, noisyFit.bootstrap(60, 11), "same seed, same intervals");
    assertNotEquals(ci, noisyFit.bootstrap(60, 12), "another seed, other resamples");
  }

  @Test
  void refusesTooFewPoints() {
    List<ScalingPoint> four = noisy.subList(0, 4);
    FitException e = assertThrows(FitException.class, () -> ScalingLawFit.fit(four));
    assertTrue(e.getMessage().contains("at least 5 points, got 4"), e.getMessage());
  }

  @Test
  void refusesASingleModelSize() {
    List<ScalingPoint> oneSize = noisy.stream().filter(p -> p.params() == 1e7).toList();
    assertTrue(oneSize.size() >= 5);
    FitException e = assertThrows(FitException.class, () -> ScalingLawFit.fit(oneSize));
    assertTrue(e.getMessage().contains("same model size"), e.getMessage());
  }

  @Test
  void refusesASingleTokenCount() {
    List<ScalingPoint> oneCount = noisy.stream().filter(p -> p.tokens() == 2e7).toList();
    assertTrue(oneCount.size() >= 5);
    FitException e = assertThrows(FitException.class, () -> ScalingLawFit.fit(oneCount));
    assertTrue(e.getMessage().contains("same token count"), e.getMessage());
  }

  @Test
  void gridIsHoffmannsStarts() {
    List<double[]> grid = ScalingLawFit.grid();
    assertEquals(4500, grid.size());
    assertTrue(grid.stream().anyMatch(s -> s[0] == 25 && s[1] == 0 && s[2] == -1 && s[3] == 2));
    List<double[]> coarse = ScalingLawFit.coarseGrid();
    assertEquals(243, coarse.size());
    for (double[] start : coarse) {
      assertTrue(grid.stream().anyMatch(s -> java.util.Arrays.equals(s, start)), java.util.Arrays.toString(start));
    }
    assertEquals(243, noisyFit.starts());
  }

  @Test
  void percentileInterpolatesLikeNumpy() {
    double[] sorted = {1, 2, 3, 4, 5};
    assertEquals(1.1, ScalingLawFit.percentile(sorted, 2.5), 1e-12);
    assertEquals(4.9, ScalingLawFit.percentile(sorted, 97.5), 1e-12);
  }
}
