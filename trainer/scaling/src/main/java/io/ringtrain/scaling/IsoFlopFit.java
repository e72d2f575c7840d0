package io.ringtrain.scaling;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Chinchilla approach 2: for each compute budget, a parabola of loss in log N through the runs
 * of that budget; its vertex is N_opt(C), and D_opt = C / 6 N_opt. Power laws N_opt ∝ C^a and
 * D_opt ∝ C^b are then fitted across budgets.
 */
public final class IsoFlopFit {
  /** Runs whose FLOPs agree within this relative tolerance share a budget. */
  public static final double DEFAULT_TOLERANCE = 0.01;

  /** One budget's profile: loss ≈ c0 + c1·u + c2·u² with u = ln N − center. */
  public record Profile(
      double flops, List<ScalingPoint> points, double center, double c0, double c1, double c2) {
    public double paramsOpt() {
      return Math.exp(center - c1 / (2 * c2));
    }

    public double tokensOpt() {
      return flops / (ScalingPoint.FLOPS_PER_PARAM_TOKEN * paramsOpt());
    }

    public double lossAt(double params) {
      double u = Math.log(params) - center;
      return c0 + c1 * u + c2 * u * u;
    }

    public double lossOpt() {
      return lossAt(paramsOpt());
    }

    /** Whether the vertex lies within the sampled model sizes; outside, it is extrapolated. */
    public boolean interior() {
      double n = paramsOpt();
      return points.stream().anyMatch(p -> p.params() <= n)
          && points.stream().anyMatch(p -> p.params() >= n);
    }
  }

  private final List<Profile> profiles;
  private final List<String> skipped;
  private final PowerLaw paramsLaw;
  private final PowerLaw tokensLaw;

  private IsoFlopFit(List<Profile> profiles, List<String> skipped) {
    this.profiles = List.copyOf(profiles);
    this.skipped = List.copyOf(skipped);
    double[] c = profiles.stream().mapToDouble(Profile::flops).toArray();
    paramsLaw = PowerLaw.fit(c, profiles.stream().mapToDouble(Profile::paramsOpt).toArray());
    tokensLaw = PowerLaw.fit(c, profiles.stream().mapToDouble(Profile::tokensOpt).toArray());
  }

  public static IsoFlopFit fit(List<ScalingPoint> points) {
    return fit(points, DEFAULT_TOLERANCE);
  }

  /** Groups the runs by FLOPs (within {@code relativeTolerance}) and fits each group. */
  public static IsoFlopFit fit(List<ScalingPoint> points, double relativeTolerance) {
    Map<Double, List<ScalingPoint>> budgets = new TreeMap<>();
    for (List<ScalingPoint> group :
        NearGroups.group(points, ScalingPoint::flops, relativeTolerance)) {
      budgets.put(NearGroups.geometricMean(group, ScalingPoint::flops), group);
    }
    return fitBudgets(budgets);
  }

  /**
   * Fits the given budgets (C → its runs); budgets with fewer than 3 model sizes, without a
   * minimum or with the minimum outside their model sizes are skipped and listed in {@link
   * #skipped()}. Needs two fitted budgets.
   */
  public static IsoFlopFit fitBudgets(Map<Double, List<ScalingPoint>> budgets) {
    List<Profile> profiles = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Map.Entry<Double, List<ScalingPoint>> budget : new TreeMap<>(budgets).entrySet()) {
      String name = String.format("C = %.3g", budget.getKey());
      List<ScalingPoint> runs = budget.getValue();
      long sizes = runs.stream().mapToDouble(ScalingPoint::params).distinct().count();
      if (sizes < 3) {
        skipped.add(name + ": " + sizes + " model size(s), a parabola needs 3");
        continue;
      }
      Profile profile = parabola(budget.getKey(), runs);
      if (!(profile.c2 > 0)) {
        skipped.add(name + ": loss does not curve upwards in log N, no minimum");
        continue;
      }
      if (!profile.interior()) {
        // A vertex beyond the sampled sizes is an extrapolation of a parabola, not a measured
        // minimum; one such point can swing the power law.
        skipped.add(String.format("%s: minimum N = %.3g outside the sampled sizes", name,
            profile.paramsOpt()));
        continue;
      }
      profiles.add(profile);
    }
    if (profiles.size() < 2) {
      throw new FitException(String.format(
          "IsoFLOP fit needs 2 budgets with a minimum (3+ model sizes each at near-equal FLOPs), "
              + "found %d of %d budgets%s", profiles.size(), budgets.size(),
          skipped.isEmpty() ? "" : "; skipped: " + String.join("; ", skipped)));
    }
    return new IsoFlopFit(profiles, skipped);
  }

  /** Least-squares quadratic in u = ln N − mean(ln N); centering keeps the system well scaled. */
  private static Profile parabola(double flops, List<ScalingPoint> runs) {
    double center = runs.stream().mapToDouble(p -> Math.log(p.params())).average().orElseThrow();
    double[][] m = new double[3][4];
    for (ScalingPoint p : runs) {
      double u = Math.log(p.params()) - center;
      double[] basis = {1, u, u * u};
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          m[i][j] += basis[i] * basis[j];
        }
        m[i][3] += basis[i] * p.loss();
      }
    }
    double[] c = solve(m);
    return new Profile(flops, List.copyOf(runs), center, c[0], c[1], c[2]);
  }

  /** Gauss-Jordan elimination with partial pivoting on an n × (n+1) augmented matrix. */
  private static double[] solve(double[][] m) {
    int n = m.length;
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int row = col + 1; row < n; row++) {
        if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
          pivot = row;
        }
      }
      double[] swap = m[col];
      m[col] = m[pivot];
      m[pivot] = swap;
      for (int row = 0; row < n; row++) {
        if (row != col) {
          double factor = m[row][col] / m[col][col];
          for (int k = col; k <= n; k++) {
            m[row][k] -= factor * m[col][k];
          }
        }
      }
    }
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = m[i][n] / m[i][i];
    }
    return x;
  }

  public List<Profile> profiles() {
    return profiles;
  }

  /** Budgets left out, each with the reason. */
  public List<String> skipped() {
    return skipped;
  }

  /** N_opt(C) = k · C^a. */
  public PowerLaw paramsLaw() {
    return paramsLaw;
  }

  /** D_opt(C) = k · C^b. */
  public PowerLaw tokensLaw() {
    return tokensLaw;
  }
}
