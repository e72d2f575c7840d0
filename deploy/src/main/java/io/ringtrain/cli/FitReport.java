package io.ringtrain.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.ringtrain.scaling.ComputeOptimal;
import io.ringtrain.scaling.Interval;
import io.ringtrain.scaling.Intervals;
import io.ringtrain.scaling.IsoFlopFit;
import io.ringtrain.scaling.ScalingLaw;
import io.ringtrain.scaling.ScalingLawFit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@code ringtrain fit} found, printed as one JSON object or as aligned tables. */
record FitReport(
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
  record Budget(ComputeOptimal.Allocation allocation, Double hours, Double flopsPerSecond) {}

  record Prediction(double params, double tokens, double loss) {}

  /**
   * One JSON object. Built as a protobuf Struct and printed by protobuf-java-util's JsonFormat:
   * Gson reaches this module only at run time, while JsonFormat is on the compile classpath.
   */
  String toJson() {
    Struct.Builder root = Struct.newBuilder();
    root.putFields("input", text(input.toString()));
    root.putFields("rows", number(rows));
    root.putFields("points", number(fit.points().size()));
    root.putFields("dropped", number(rows - fit.points().size()));
    ScalingLaw law = fit.law();
    root.putFields("E", number(law.E()));
    root.putFields("A", number(law.A()));
    root.putFields("B", number(law.B()));
    root.putFields("alpha", number(law.alpha()));
    root.putFields("beta", number(law.beta()));
    if (intervals != null) {
      root.putFields("E_ci", pair(intervals.E()));
      root.putFields("A_ci", pair(intervals.A()));
      root.putFields("B_ci", pair(intervals.B()));
      root.putFields("alpha_ci", pair(intervals.alpha()));
      root.putFields("beta_ci", pair(intervals.beta()));
      root.putFields("bootstrap_resamples", number(intervals.resamples()));
    }
    root.putFields("huber_delta", number(ScalingLawFit.HUBER_DELTA));
    root.putFields("huber_objective", number(fit.objective()));
    ComputeOptimal optimal = new ComputeOptimal(law);
    root.putFields("optimal_exponents", object(Struct.newBuilder()
        .putFields("a", number(optimal.paramsExponent()))
        .putFields("b", number(optimal.tokensExponent()))));
    root.putFields("isoflop", object(isoFlopJson()));
    if (budget != null) {
      root.putFields("compute_optimal", object(budgetJson()));
    }
    if (prediction != null) {
      root.putFields("predict", object(Struct.newBuilder()
          .putFields("params", number(prediction.params))
          .putFields("tokens", number(prediction.tokens))
          .putFields("loss", number(prediction.loss))));
    }
    if (!plots.isEmpty()) {
      root.putFields("plots", list(plots.stream().map(file -> text(file.toString())).toList()));
    }
    try {
      return JsonFormat.printer().print(root) + System.lineSeparator();
    } catch (InvalidProtocolBufferException e) {
      // Only non-finite numbers fail to print, and every value here is finite.
      throw new IllegalStateException("cannot print the fit as JSON", e);
    }
  }

  private Struct.Builder isoFlopJson() {
    Struct.Builder iso = Struct.newBuilder();
    if (isoFlop == null) {
      return iso.putFields("error", text(isoFlopProblem));
    }
    List<Value> budgets = new ArrayList<>();
    for (IsoFlopFit.Profile profile : isoFlop.profiles()) {
      budgets.add(object(Struct.newBuilder()
          .putFields("flops", number(profile.flops()))
          .putFields("n_opt", number(profile.paramsOpt()))
          .putFields("d_opt", number(profile.tokensOpt()))
          .putFields("loss_opt", number(profile.lossOpt()))
          .putFields("points", number(profile.points().size()))));
    }
    return iso.putFields("budgets", list(budgets))
        .putFields("a", number(isoFlop.paramsLaw().exponent()))
        .putFields("n_coefficient", number(isoFlop.paramsLaw().coefficient()))
        .putFields("b", number(isoFlop.tokensLaw().exponent()))
        .putFields("d_coefficient", number(isoFlop.tokensLaw().coefficient()))
        .putFields("skipped", list(isoFlop.skipped().stream().map(FitReport::text).toList()));
  }

  private Struct.Builder budgetJson() {
    ComputeOptimal.Allocation a = budget.allocation;
    Struct.Builder b = Struct.newBuilder().putFields("flops", number(a.flops()));
    if (budget.hours != null) {
      b.putFields("hours", number(budget.hours));
      b.putFields("flops_per_second", number(budget.flopsPerSecond));
    }
    return b.putFields("params", number(a.params()))
        .putFields("tokens", number(a.tokens()))
        .putFields("tokens_per_param", number(a.tokensPerParam()))
        .putFields("loss", number(a.loss()));
  }

  private static Value pair(Interval interval) {
    return list(List.of(number(interval.lo()), number(interval.hi())));
  }

  private static Value number(double value) {
    return Value.newBuilder().setNumberValue(value).build();
  }

  private static Value text(String value) {
    return Value.newBuilder().setStringValue(value).build();
  }

  private static Value object(Struct.Builder struct) {
    return Value.newBuilder().setStructValue(struct).build();
  }

  private static Value list(List<Value> values) {
    return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(values)).build();
  }

  String toTable() {
    StringBuilder out = new StringBuilder();
    int dropped = rows - fit.points().size();
    out.append(String.format("L(N, D) = E + A/N^alpha + B/D^beta fitted to %d runs of %s%s%n",
        fit.points().size(), input,
        dropped > 0 ? " (" + dropped + " highest losses dropped)" : ""));
    out.append(String.format("Huber delta %g on log-loss, %d L-BFGS starts, objective %.6g%n%n",
        ScalingLawFit.HUBER_DELTA, ScalingLawFit.grid().size(), fit.objective()));
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
