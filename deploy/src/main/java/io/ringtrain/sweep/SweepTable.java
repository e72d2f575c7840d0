package io.ringtrain.sweep;

import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.progress.ProgressLine;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The sweep's plan as a table: one row per run, with its estimated time and whether it is done. */
public final class SweepTable {
  private static final String ROW = "%-22s %6s %5s %5s %9s %9s %9s %7s %10s %9s  %s%n";

  private SweepTable() {}

  public static void print(PrintStream o, List<SweepRun> runs, Map<String, Double> losses, double flopsPerSecond) {
    o.printf(Locale.ROOT, ROW, "run", "layers", "heads", "width", "params", "non-emb", "tokens", "steps",
        "FLOPs(6ND)", "est.time", "status");
    double remaining = 0;
    for (SweepRun run : runs) {
      TrainingPlan p = run.plan();
      double seconds = TrainingPlan.flopsPerToken(run.model()) * p.tokens() / flopsPerSecond;
      Double loss = losses.get(run.name());
      if (loss == null) remaining += seconds;
      o.printf(Locale.ROOT, ROW, run.name(), run.model().getNLayer(), run.model().getNHead(),
          run.model().getNEmbd(), ProgressLine.human(p.params()), ProgressLine.human(p.nonEmbeddingParams()),
          ProgressLine.human(p.tokens()), p.steps(), String.format(Locale.ROOT, "%.3g", run.flops()),
          time(seconds), loss == null ? "to run" : String.format(Locale.ROOT, "done, val loss %.4f", loss));
    }
    o.printf(Locale.ROOT, "%d runs, %d done; estimated time left %s at %s FLOP/s measured%n", runs.size(),
        losses.size(), time(remaining), Double.isNaN(flopsPerSecond) ? "?" : String.format(Locale.ROOT, "%.3g",
            flopsPerSecond));
  }

  private static String time(double seconds) {
    return Double.isFinite(seconds) ? ProgressLine.duration(seconds) : "?";
  }
}
