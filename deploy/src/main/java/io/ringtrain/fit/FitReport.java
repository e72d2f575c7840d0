package io.ringtrain.fit;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.ringtrain.scaling.ComputeOptimal;
import io.ringtrain.scaling.Interval;
import io.ringtrain.scaling.Intervals;
import io.ringtrain.scaling.IsoFlopFit;
import io.ringtrain.scaling.ScalingLaw;
import io.ringtrain.scaling.ScalingLawFit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code ringtrain fit} found, printed as one JSON object or as aligned tables. */
public record FitReport(
    Path input,
    int rows,
    ScalingLawFit fit,
    Intervals intervals,
    IsoFlopFit isoFlop,
    String isoFlopProblem,
    Budget budget,
    Prediction prediction,
    List<Path> plots) {

  // Sweeps that are not IsoFLOP sweeps leave one "budget" per run: summarise, don't list.
  private static final int MAX_LISTED_SKIPS = 5;

  /** A compute-optimal answer; hours and FLOP/s are null when the budget was given in FLOPs. */
  public record Budget(ComputeOptimal.Allocation allocation, Double hours, Double flopsPerSecond) {}

  public record Prediction(double params, double tokens, double loss) {}

  // Pretty: a fit report is read by people as often as by scripts.
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** One JSON object; counts are ints, so they print without a fraction. */
  public String toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("input", input.toString());
    root.put("rows", rows);
    root.put("points", fit.points().size());
    root.put("dropped", rows - fit.points().size());
    ScalingLaw law = fit.law();
    root.put("E", law.E());
    root.put("A", law.A());
    root.put("B", law.B());
    root.put("alpha", law.alpha());
    root.put("beta", law.beta());
    if (intervals != null) {
      root.put("E_ci", pair(intervals.E()));
      root.put("A_ci", pair(intervals.A()));
      root.put("B_ci", pair(intervals.B()));
      root.put("alpha_ci", pair(intervals.alpha()));
      root.put("beta_ci", pair(intervals.beta()));
      root.put("bootstrap_resamples", intervals.resamples());
    }
    root.put("huber_delta", ScalingLawFit.HUBER_DELTA);
    root.put("huber_objective", fit.objective());
    root.put("starts", fit.starts());
    ComputeOptimal optimal = new ComputeOptimal(law);
    Map<String, Object> exponents = new LinkedHashMap<>();
    exponents.put("a", optimal.paramsExponent());
    exponents.put("b", optimal.tokensExponent());
    root.put("optimal_exponents", exponents);
    root.put("isoflop", isoFlopJson());
    if (budget != null) {
      root.put("compute_optimal", budgetJson());
    }
    if (prediction != null) {
      Map<String, Object> predict = new LinkedHashMap<>();
      predict.put("params", prediction.params);
      predict.put("tokens", prediction.tokens);
      predict.put("loss", prediction.loss);
      root.put("predict", predict);
    }
    if (!plots.isEmpty()) {
      root.put("plots", plots.stream().map(Path::toString).toList());
    }
    return GSON.toJson(root) + System.lineSeparator();
  }

  private Map<String, Object> isoFlopJson() {
    Map<String, Object> iso = new LinkedHashMap<>();
    if (isoFlop == null) {
      iso.put("error", isoFlopProblem);
      return iso;
    }
    List<Map<String, Object>> budgets = new ArrayList<>();
    for (IsoFlopFit.Profile profile : isoFlop.profiles()) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("flops", profile.flops());
      b.put("n_opt", profile.paramsOpt());
      b.put("d_opt", profile.tokensOpt());
      b.put("loss_opt", profile.lossOpt());
      b.put("points", profile.points().size());
      budgets.add(b);
    }
    iso.put("budgets", budgets);
    iso.put("a", isoFlop.paramsLaw().exponent());
    iso.put("n_coefficient", isoFlop.paramsLaw().coefficient());
    iso.put("b", isoFlop.tokensLaw().exponent());
    iso.put("d_coefficient", isoFlop.tokensLaw().coefficient());
    iso.put("skipped", isoFlop.skipped());
    return iso;
  }

  private Map<String, Object> budgetJson() {
    ComputeOptimal.Allocation a = budget.allocation;
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("flops", a.flops());
    if (budget.hours != null) {
      b.put("hours", budget.hours);
      b.put("flops_per_second", budget.flopsPerSecond);
    }
    b.put("params", a.params());
    b.put("tokens", a.tokens());
    b.put("tokens_per_param", a.tokensPerParam());
    b.put("loss", a.loss());
    return b;
  }

  private static List<Double> pair(Interval interval) {
    return List.of(interval.lo(), interval.hi());
  }

  public String toTable() {
    StringBuilder out = new StringBuilder();
    int dropped = rows - fit.points().size();
    out.append(String.format("L(N, D) = E + A/N^alpha + B/D^beta fitted to %d runs of %s%s%n",
        fit.points().size(), input,
        dropped > 0 ? " (" + dropped + " highest losses dropped)" : ""));
    out.append(String.format("Huber delta %g on log-loss, %d L-BFGS starts, objective %.6g%n%n",
        ScalingLawFit.HUBER_DELTA, fit.starts(), fit.objective()));
    ScalingLaw law = fit.law();
    Table params = new Table(intervals == null ? List.of("parameter", "estimate")
        : List.of("parameter", "estimate",
            "95% interval (" + intervals.resamples() + " bootstrap resamples)"));
    addRow(params, "E", law.E(), intervals == null ? null : intervals.E());
    addRow(params, "A", law.A(), intervals == null ? null : intervals.A());
    addRow(params, "B", law.B(), intervals == null ? null : intervals.B());
    addRow(params, "alpha", law.alpha(), intervals == null ? null : intervals.alpha());
    addRow(params, "beta", law.beta(), intervals == null ? null : intervals.beta());
    out.append(params);
    ComputeOptimal optimal = new ComputeOptimal(law);
    out.append(String.format("%ncompute-optimal scaling: N_opt ~ C^%.3f, D_opt ~ C^%.3f%n",
        optimal.paramsExponent(), optimal.tokensExponent()));
    out.append(System.lineSeparator());
    appendIsoFlop(out);
    if (budget != null) {
      ComputeOptimal.Allocation a = budget.allocation;
      out.append(System.lineSeparator());
      String source = budget.hours == null ? ""
          : String.format(" (%s h at %s FLOP/s)", format(budget.hours),
              format(budget.flopsPerSecond));
      Table t = new Table(List.of("compute-optimal for", "value"));
      t.add(List.of("budget C, FLOPs", format(a.flops()) + source));
      t.add(List.of("parameters N", format(a.params())));
      t.add(List.of("tokens D", format(a.tokens())));
      t.add(List.of("tokens per parameter", String.format("%.1f", a.tokensPerParam())));
      t.add(List.of("predicted loss", String.format("%.4f", a.loss())));
      out.append(t);
    }
    if (prediction != null) {
      out.append(String.format("%npredicted loss of N = %s, D = %s: %.4f%n",
          format(prediction.params), format(prediction.tokens), prediction.loss));
    }
    if (!plots.isEmpty()) {
      out.append(System.lineSeparator()).append("plots:").append(System.lineSeparator());
      plots.forEach(file -> out.append("  ").append(file).append(System.lineSeparator()));
    }
    return out.toString();
  }

  private void appendIsoFlop(StringBuilder out) {
    if (isoFlop == null) {
      out.append("IsoFLOP minima (approach 2): not available: ").append(isoFlopProblem)
          .append(System.lineSeparator());
      return;
    }
    Table t = new Table(List.of("IsoFLOP budget C", "runs", "N_opt", "D_opt", "loss at N_opt"));
    for (IsoFlopFit.Profile p : isoFlop.profiles()) {
      t.add(List.of(format(p.flops()), String.valueOf(p.points().size()), format(p.paramsOpt()),
          format(p.tokensOpt()), String.format("%.4f", p.lossOpt())));
    }
    out.append(t);
    out.append(String.format("IsoFLOP power laws: N_opt = %.3g C^%.3f, D_opt = %.3g C^%.3f%n",
        isoFlop.paramsLaw().coefficient(), isoFlop.paramsLaw().exponent(),
        isoFlop.tokensLaw().coefficient(), isoFlop.tokensLaw().exponent()));
    List<String> skipped = isoFlop.skipped();
    if (skipped.size() > MAX_LISTED_SKIPS) {
      out.append(String.format("skipped %d budgets without a usable minimum (--json lists them)%n",
          skipped.size()));
    } else {
      skipped.forEach(s -> out.append("skipped ").append(s).append(System.lineSeparator()));
    }
  }

  private static void addRow(Table table, String name, double value, Interval interval) {
    List<String> row = new ArrayList<>(List.of(name, format(value)));
    if (interval != null) {
      row.add("[" + format(interval.lo()) + ", " + format(interval.hi()) + "]");
    }
    table.add(row);
  }

  /** Four significant digits for tables and legends; scientific for large and tiny values. */
  static String format(double value) {
    double abs = Math.abs(value);
    if (abs >= 1e4 || (abs < 1e-3 && abs != 0)) {
      return String.format("%.3e", value);
    }
    return abs >= 1e3 ? String.format("%.0f", value) : String.format("%.4g", value);
  }

  /** Left-aligned columns padded to their widest cell. */
  private static final class Table {
    private final List<List<String>> rows = new ArrayList<>();

    Table(List<String> header) {
      rows.add(header);
    }

    void add(List<String> row) {
      rows.add(row);
    }

    @Override
    public String toString() {
      int columns = rows.get(0).size();
      int[] width = new int[columns];
      for (List<String> row : rows) {
        for (int i = 0; i < columns; i++) {
          width[i] = Math.max(width[i], row.get(i).length());
        }
      }
      StringBuilder out = new StringBuilder();
      for (List<String> row : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns; i++) {
          line.append(String.format("%-" + width[i] + "s", row.get(i)));
          if (i < columns - 1) {
            line.append("  ");
          }
        }
        out.append(line.toString().stripTrailing()).append(System.lineSeparator());
      }
      return out.toString();
    }
  }
}
