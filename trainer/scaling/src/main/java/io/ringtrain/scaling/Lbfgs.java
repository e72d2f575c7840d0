package io.ringtrain.scaling;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * Limited-memory BFGS with a strong-Wolfe line search (Nocedal and Wright, Numerical
 * Optimization, algorithms 7.4, 3.5 and 3.6). Small and allocation-light: the scaling-law fit
 * runs it thousands of times on five parameters.
 */
final class Lbfgs {
  /** A differentiable function: returns f(x) and writes its gradient into {@code gradient}. */
  interface Objective {
    double evaluate(double[] x, double[] gradient);
  }

  record Result(double[] x, double value, int iterations, boolean converged) {}

  private static final int MEMORY = 10;
  private static final double C1 = 1e-4;
  private static final double C2 = 0.9;
  private static final int MAX_LINE_STEPS = 40;

  private final int maxIterations;
  private final double gradientTolerance;
  private final double relativeTolerance;

  /**
   * Stops at {@code maxIterations}, when the largest gradient component is at most {@code
   * gradientTolerance}, or when one step lowers f by at most {@code
   * relativeTolerance}·max(|f|, 1).
   */
  Lbfgs(int maxIterations, double gradientTolerance, double relativeTolerance) {
    this.maxIterations = maxIterations;
    this.gradientTolerance = gradientTolerance;
    this.relativeTolerance = relativeTolerance;
  }

  Result minimize(Objective f, double[] start) {
    Point current = Point.at(f, start.clone());
    if (!Double.isFinite(current.value)) {
      return new Result(current.x, current.value, 0, false);
    }
    Deque<double[]> s = new ArrayDeque<>();
    Deque<double[]> y = new ArrayDeque<>();
    for (int iteration = 1; iteration <= maxIterations; iteration++) {
      if (maxAbs(current.gradient) <= gradientTolerance) {
        return new Result(current.x, current.value, iteration - 1, true);
      }
      double[] direction = direction(current.gradient, s, y);
      double slope = dot(current.gradient, direction);
      if (!(slope < 0)) {
        // The curvature pairs no longer describe a descent direction: forget them.
        s.clear();
        y.clear();
        direction = scaled(current.gradient, -1);
        slope = dot(current.gradient, direction);
      }
      // Without curvature pairs the step length has no natural scale: start at unit length.
      double firstStep = s.isEmpty() ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
      Point next = lineSearch(f, current, direction, slope, firstStep);
      if (next == null) {
        if (s.isEmpty()) {
          return new Result(current.x, current.value, iteration, false);
        }
        s.clear();
        y.clear();
        continue;
      }
      double[] step = minus(next.x, current.x);
      double[] change = minus(next.gradient, current.gradient);
      // Keep only pairs with positive curvature, so that the implicit inverse Hessian stays
      // positive definite.
      if (dot(step, change) > 1e-12 * dot(change, change)) {
        s.addLast(step);
        y.addLast(change);
        if (s.size() > MEMORY) {
          s.removeFirst();
          y.removeFirst();
        }
      }
      double decrease = current.value - next.value;
      current = next;
      if (decrease <= relativeTolerance * Math.max(Math.abs(current.value), 1)) {
        return new Result(current.x, current.value, iteration, true);
      }
    }
    return new Result(current.x, current.value, maxIterations, false);
  }

  /** The two-loop recursion: -H·g with H the L-BFGS inverse-Hessian approximation. */
  private static double[] direction(double[] gradient, Deque<double[]> s, Deque<double[]> y) {
    double[] q = gradient.clone();
    int m = s.size();
    double[] alphas = new double[m];
    double[] rhos = new double[m];
    Iterator<double[]> si = s.descendingIterator();
    Iterator<double[]> yi = y.descendingIterator();
    for (int i = m - 1; i >= 0; i--) {
      double[] sk = si.next();
      double[] yk = yi.next();
      rhos[i] = 1 / dot(yk, sk);
      alphas[i] = rhos[i] * dot(sk, q);
      addScaled(q, yk, -alphas[i]);
    }
    if (m > 0) {
      double[] sLast = s.peekLast();
      double[] yLast = y.peekLast();
      double gamma = dot(sLast, yLast) / dot(yLast, yLast);
      for (int j = 0; j < q.length; j++) {
        q[j] *= gamma;
      }
    }
    si = s.iterator();
    yi = y.iterator();
    for (int i = 0; i < m; i++) {
      double[] sk = si.next();
      double[] yk = yi.next();
      double b = rhos[i] * dot(yk, q);
      addScaled(q, sk, alphas[i] - b);
    }
    return scaled(q, -1);
  }

  /** Algorithm 3.5: find a step satisfying the strong Wolfe conditions, or null. */
  private static Point lineSearch(
      Objective f, Point start, double[] direction, double slope, double firstStep) {
    double previousStep = 0;
    Point previous = start;
    double previousSlope = slope;
    double step = firstStep;
    for (int i = 0; i < MAX_LINE_STEPS; i++) {
      Point trial = Point.at(f, along(start.x, direction, step));
      if (!Double.isFinite(trial.value)) {
        // Overflowed far along the direction: come back towards the last good step.
        step = previousStep + (step - previousStep) / 2;
        continue;
      }
      double trialSlope = dot(trial.gradient, direction);
      if (trial.value > start.value + C1 * step * slope
          || (i > 0 && trial.value >= previous.value)) {
        return zoom(f, start, direction, slope, previousStep, previous, previousSlope, step, trial);
      }
      if (Math.abs(trialSlope) <= -C2 * slope) {
        return trial;
      }
      if (trialSlope >= 0) {
        return zoom(f, start, direction, slope, step, trial, trialSlope, previousStep, previous);
      }
      previousStep = step;
      previous = trial;
      previousSlope = trialSlope;
      step *= 2;
    }
    return previous == start ? null : previous;
  }

  /** Algorithm 3.6: shrink [lo, hi] (lo the better end) until a strong-Wolfe step is found. */
  private static Point zoom(
      Objective f, Point start, double[] direction, double slope,
      double lo, Point low, double lowSlope, double hi, Point high) {
    for (int i = 0; i < MAX_LINE_STEPS; i++) {
      double width = hi - lo;
      // Minimiser of the quadratic through f(lo), f'(lo), f(hi), kept away from the ends so
      // that the bracket shrinks by a fixed fraction at least.
      double curvature = high.value - low.value - lowSlope * width;
      double step =
          curvature > 0 ? lo - lowSlope * width * width / (2 * curvature) : lo + width / 2;
      double lower = Math.min(lo + 0.1 * width, hi - 0.1 * width);
      double upper = Math.max(lo + 0.1 * width, hi - 0.1 * width);
      step = Math.min(Math.max(step, lower), upper);
      Point trial = Point.at(f, along(start.x, direction, step));
      if (!Double.isFinite(trial.value)
          || trial.value > start.value + C1 * step * slope
          || trial.value >= low.value) {
        hi = step;
        high = trial.withFiniteValue();
        continue;
      }
      double trialSlope = dot(trial.gradient, direction);
      if (Math.abs(trialSlope) <= -C2 * slope) {
        return trial;
      }
      if (trialSlope * (hi - lo) >= 0) {
        hi = lo;
        high = low;
      }
      lo = step;
      low = trial;
      lowSlope = trialSlope;
    }
    // No strong-Wolfe step found, but the best point met sufficient decrease: take it.
    return low == start ? null : low;
  }

  /** A point with its value and gradient. */
  private record Point(double[] x, double value, double[] gradient) {
    static Point at(Objective f, double[] x) {
      double[] gradient = new double[x.length];
      return new Point(x, f.evaluate(x, gradient), gradient);
    }

    /** Overflowed points stand in for "very high" in the bracketing logic. */
    Point withFiniteValue() {
      return Double.isFinite(value) ? this : new Point(x, Double.MAX_VALUE, gradient);
    }
  }

  private static double[] along(double[] x, double[] direction, double step) {
    double[] out = x.clone();
    addScaled(out, direction, step);
    return out;
  }

  private static void addScaled(double[] target, double[] v, double factor) {
    for (int i = 0; i < target.length; i++) {
      target[i] += factor * v[i];
    }
  }

  private static double[] scaled(double[] v, double factor) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = factor * v[i];
    }
    return out;
  }

  private static double[] minus(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] - b[i];
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  private static double maxAbs(double[] v) {
    double max = 0;
    for (double x : v) {
      max = Math.max(max, Math.abs(x));
    }
    return max;
  }
}
