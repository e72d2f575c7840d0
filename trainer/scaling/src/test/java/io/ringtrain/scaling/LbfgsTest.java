package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LbfgsTest {
  private static final Lbfgs.Objective ROSENBROCK = (x, g) -> {
    double a = 1 - x[0];
    double b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };

  @Test
  void minimisesRosenbrock() {
    Lbfgs.Result result = new Lbfgs(1000, 1e-10, 0).minimize(ROSENBROCK, new double[] {-1.2, 1});
    assertTrue(result.converged(), "not converged after " + result.iterations());
    assertEquals(1, result.x()[0], 1e-6);
    assertEquals(1, result.x()[1], 1e-6);
    assertTrue(result.iterations() < 100, result.iterations() + " iterations");
  }

  @Test
  void survivesOverflowAlongTheSearchDirection() {
    // exp(x) overflows for large steps; the line search must come back to finite values.
    Lbfgs.Objective f = (x, g) -> {
      g[0] = Math.exp(x[0]) - 1e3;
      return Math.exp(x[0]) - 1e3 * x[0];
    };
    Lbfgs.Result result = new Lbfgs(200, 1e-9, 0).minimize(f, new double[] {0});
    assertEquals(Math.log(1e3), result.x()[0], 1e-6);
  }

  @Test
  void stopsAtTheIterationCap() {
    Lbfgs.Result result = new Lbfgs(3, 1e-12, 0).minimize(ROSENBROCK, new double[] {-1.2, 1});
    assertEquals(3, result.iterations());
    assertTrue(!result.converged());
  }
}
