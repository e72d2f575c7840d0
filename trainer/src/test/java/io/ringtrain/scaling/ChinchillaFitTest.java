package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The fitter reproduces Besiroglu et al. 2024 on the reconstructed Chinchilla points. */
class ChinchillaFitTest {
  @Test
  void reproducesTheReplicationFit() throws Exception {
    List<ScalingPoint> points = ChinchillaData.lessFiveHighestLosses();
    assertEquals(240, points.size());
    long start = System.nanoTime();
    ScalingLawFit fit = ScalingLawFit.fit(points);
    long fitted = System.nanoTime();
    Intervals ci = fit.bootstrap(100, 42);
    long done = System.nanoTime();
    ScalingLaw law = fit.law();
    System.out.printf("fit %.2fs bootstrap %.2fs: %s objective %.6g%n%s%n",
        (fitted - start) / 1e9, (done - fitted) / 1e9, law, fit.objective(), ci);
  }
}
