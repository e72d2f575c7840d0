package io.ringtrain.scaling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Chinchilla approach 3: L(N, D) = E + A/N^alpha + B/D^beta fitted by minimising the Huber loss
 * of log-loss residuals with L-BFGS from a grid of starts (Hoffmann et al. 2022, appendix D.2;
 * Besiroglu et al. 2024), with bootstrap percentile intervals.
 */
public final class ScalingLawFit {
  /** The Huber threshold of Hoffmann et al. and of the replication. */
  public static final double HUBER_DELTA = 1e-3;

  // Most grid starts settle within a few dozen iterations; the cap bounds the few that wander,
  // and the best runs are then polished without it.
  private static final Lbfgs GRID_SEARCH = new Lbfgs(150, 1e-9, 1e-12);
  private static final Lbfgs POLISH = new Lbfgs(5000, 1e-10, 1e-15);
  private static final int POLISHED_RUNS = 8;
  private static final int BOOTSTRAP_GRID_STARTS = 4;

  private final List<ScalingPoint> points;
  private final double delta;
  private final double[] solution;
  private final double objective;
  private final int starts;
  private final List<double[]> rankedStarts;

  private ScalingLawFit(
      List<ScalingPoint> points, double delta, double[] solution, double objective, int starts,
      List<double[]> rankedStarts) {
    this.points = points;
    this.delta = delta;
    this.solution = solution;
    this.objective = objective;
    this.starts = starts;
    this.rankedStarts = rankedStarts;
  }

  public static ScalingLawFit fit(List<ScalingPoint> points) {
    return fit(points, HUBER_DELTA);
  }

  /** Fits from all {@link #grid()} starts and keeps the best; throws {@link FitException}. */
  public static ScalingLawFit fit(List<ScalingPoint> points, double huberDelta) {
    return fit(points, huberDelta, grid());
  }

  /**
   * Fits from each of {@code starts} ((a, b, e, alpha, beta), as {@link #grid()}'s) and keeps the
   * best; throws {@link FitException}.
   */
  public static ScalingLawFit fit(List<ScalingPoint> points, double huberDelta, List<double[]> starts) {
    List<ScalingPoint> copy = List.copyOf(points);
    requireWellPosed(copy);
    if (!(huberDelta > 0)) {
      throw new IllegalArgumentException("Huber delta must be positive, got " + huberDelta);
    }
    if (starts.isEmpty()) {
      throw new IllegalArgumentException("the fit needs at least one start");
    }
    double[] ones = new double[copy.size()];
    Arrays.fill(ones, 1);
    HuberLogLoss objective = new HuberLogLoss(copy, ones, huberDelta);
    List<Run> runs =
        starts.parallelStream()
            .map(start -> new Run(start, GRID_SEARCH.minimize(objective, start)))
            .filter(run -> Double.isFinite(run.result.value()))
            .sorted(Comparator.comparingDouble(run -> run.result.value()))
            .toList();
    if (runs.isEmpty()) {
      throw new FitException("no start of the " + starts.size() + " gave a finite loss");
    }
    Run best =
        runs.subList(0, Math.min(POLISHED_RUNS, runs.size())).parallelStream()
            .map(run -> new Run(run.start, POLISH.minimize(objective, run.result.x())))
            .min(Comparator.comparingDouble(run -> run.result.value()))
            .orElseThrow();
    List<double[]> ranked = runs.stream().map(run -> run.start).toList();
    return new ScalingLawFit(
        copy, huberDelta, best.result.x(), best.result.value() * huberDelta, starts.size(), ranked);
  }

  /**
   * The starts of Hoffmann et al.: alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1},
   * a, b in {0, 5, ..., 25}, as (a, b, e, alpha, beta).
   */
  public static List<double[]> grid() {
    return grid(1);
  }

  /**
   * Every other value of {@link #grid()}'s in each coordinate: a, b in {0, 10, 20}, e in
   * {-1, 0, 1}, alpha, beta in {0, 1, 2}; 243 starts, for fits that need no published precision
   * (a first look, tests on synthetic sweeps).
   */
  public static List<double[]> coarseGrid() {
    return grid(2);
  }

  private static List<double[]> grid(int stride) {
    List<double[]> starts = new ArrayList<>();
    for (int a = 0; a <= 25; a += 5 * stride) {
      for (int b = 0; b <= 25; b += 5 * stride) {
        for (int e = -2; e <= 2; e += stride) {
          for (int alpha = 0; alpha <= 4; alpha += stride) {
            for (int beta = 0; beta <= 4; beta += stride) {
              starts.add(new double[] {a, b, e * 0.5, alpha * 0.5, beta * 0.5});
            }
          }
        }
      }
    }
    return starts;
  }

  public ScalingLaw law() {
    return lawOf(solution);
  }

  /** How many L-BFGS starts the fit searched from. */
  public int starts() {
    return starts;
  }

  /** The minimised sum of Huber losses of the log-loss residuals. */
  public double objective() {
    return objective;
  }

  public List<ScalingPoint> points() {
    return points;
  }

  /**
   * Refits {@code resamples} resamples (points drawn with replacement) from this fit's optimum
   * and the grid starts that did best on the full data, and returns the 2.5 and 97.5
   * percentiles of each parameter. The same seed gives the same intervals.
   */
  public Intervals bootstrap(int resamples, long seed) {
    if (resamples < 2) {
      throw new IllegalArgumentException("bootstrap needs at least 2 resamples, got " + resamples);
    }
    List<double[]> starts = new ArrayList<>();
    starts.add(solution);
    starts.addAll(rankedStarts.subList(0, Math.min(BOOTSTRAP_GRID_STARTS, rankedStarts.size())));
    // Draw every resample up front so that the result does not depend on thread scheduling.
    SplittableRandom random = new SplittableRandom(seed);
    List<double[]> weights = new ArrayList<>();
    while (weights.size() < resamples) {
      double[] w = resampleWeights(random);
      if (resampleIsWellPosed(w)) {
        weights.add(w);
      }
    }
    ScalingLaw[] laws =
        weights.parallelStream().map(w -> refit(w, starts)).toArray(ScalingLaw[]::new);
    return new Intervals(
        interval(laws, ScalingLaw::E),
        interval(laws, ScalingLaw::A),
        interval(laws, ScalingLaw::B),
        interval(laws, ScalingLaw::alpha),
        interval(laws, ScalingLaw::beta),
        resamples,
        0.95);
  }

  private ScalingLaw refit(double[] weight, List<double[]> starts) {
    HuberLogLoss objective = new HuberLogLoss(points, weight, delta);
    Lbfgs.Result best = null;
    for (double[] start : starts) {
      Lbfgs.Result result = POLISH.minimize(objective, start);
      if (best == null || result.value() < best.value()) {
        best = result;
      }
    }
    return lawOf(best.x());
  }

  private double[] resampleWeights(SplittableRandom random) {
    double[] w = new double[points.size()];
    for (int i = 0; i < w.length; i++) {
      w[random.nextInt(w.length)]++;
    }
    return w;
  }

  private boolean resampleIsWellPosed(double[] weight) {
    List<ScalingPoint> drawn =
        IntStream.range(0, weight.length).filter(i -> weight[i] > 0).mapToObj(points::get).toList();
    return distinct(drawn, ScalingPoint::params) > 1 && distinct(drawn, ScalingPoint::tokens) > 1;
  }

  private static Interval interval(
      ScalingLaw[] laws, ToDoubleFunction<ScalingLaw> parameter) {
    double[] values = Arrays.stream(laws).mapToDouble(parameter).sorted().toArray();
    return new Interval(percentile(values, 2.5), percentile(values, 97.5));
  }

  /** Linear interpolation between closest ranks, as numpy.percentile does by default. */
  static double percentile(double[] sorted, double percent) {
    double rank = percent / 100 * (sorted.length - 1);
    int below = (int) Math.floor(rank);
    int above = Math.min(below + 1, sorted.length - 1);
    return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
  }

  private static ScalingLaw lawOf(double[] x) {
    return new ScalingLaw(Math.exp(x[2]), Math.exp(x[0]), Math.exp(x[1]), x[3], x[4]);
  }

  private static void requireWellPosed(List<ScalingPoint> points) {
    if (points.size() < 5) {
      throw new FitException(
          "the law has 5 parameters: fitting it needs at least 5 points, got " + points.size());
    }
    if (distinct(points, ScalingPoint::params) < 2) {
      throw new FitException(
          "all points have the same model size N = " + points.get(0).params()
              + ": A and alpha cannot be told apart from E; vary N");
    }
    if (distinct(points, ScalingPoint::tokens) < 2) {
      throw new FitException(
          "all points have the same token count D = " + points.get(0).tokens()
              + ": B and beta cannot be told apart from E; vary D");
    }
  }

  private static long distinct(List<ScalingPoint> points, ToDoubleFunction<ScalingPoint> value) {
    return points.stream().mapToDouble(value).distinct().count();
  }

  private record Run(double[] start, Lbfgs.Result result) {}
}
