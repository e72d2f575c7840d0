package io.ringtrain.cli;

import io.ringtrain.fit.FitPlots;
import io.ringtrain.fit.FitReport;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.scaling.ComputeOptimal;
import io.ringtrain.scaling.FitException;
import io.ringtrain.scaling.Intervals;
import io.ringtrain.scaling.IsoFlopFit;
import io.ringtrain.scaling.ResultsCsv;
import io.ringtrain.scaling.ScalingLawFit;
import io.ringtrain.scaling.ScalingPoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain fit}: scaling laws from sweep results, the compute-optimal split, plots. */
@Command(
    name = "fit",
    mixinStandardHelpOptions = true,
    description = {
      "Fit L(N, D) = E + A/N^alpha + B/D^beta to sweep results (Chinchilla approach 3: Huber "
          + "loss on log-loss, L-BFGS from 4500 starts, bootstrap intervals), the IsoFLOP "
          + "minima (approach 2) where runs share budgets, and the compute-optimal N and D.",
      "Exit codes: 0 ok, 1 the fit failed, 2 usage or bad input, 3 the plots could not be written."
    })
public final class FitCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", required = true, paramLabel = "results.csv",
      description = "CSV with a header line: one run per row.")
  Path input;

  @Option(names = "--params-col", paramLabel = "NAME",
      description = "Model size column (default: params).")
  String paramsCol;

  @Option(names = "--tokens-col", paramLabel = "NAME",
      description = "Token count column (default: tokens; if absent, D = C / 6N).")
  String tokensCol;

  @Option(names = "--flops-col", paramLabel = "NAME",
      description = "Training FLOPs column (default: flops; if absent, C = 6ND).")
  String flopsCol;

  @Option(names = "--loss-col", paramLabel = "NAME",
      description = "Final loss column (default: loss).")
  String lossCol;

  @Option(names = "--budget-col", paramLabel = "NAME",
      description = "Column naming each run's IsoFLOP budget (default: runs whose FLOPs agree "
          + "within --isoflop-tolerance share one).")
  String budgetCol;

  @Option(names = "--isoflop-tolerance", paramLabel = "REL", defaultValue = "0.01",
      description = "Relative FLOPs difference within which runs share a budget "
          + "(default: ${DEFAULT-VALUE}).")
  double isoFlopTolerance;

  @Option(names = "--drop-highest", paramLabel = "K", defaultValue = "0",
      description = "Leave out the K runs with the highest loss (default: ${DEFAULT-VALUE}).")
  int dropHighest;

  @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "200",
      description = "Bootstrap resamples for 95%% intervals; 0 disables "
          + "(default: ${DEFAULT-VALUE}).")
  int bootstrap;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
      description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--budget-flops", paramLabel = "C", description = "Compute budget in FLOPs.")
  Double budgetFlops;

  @Option(names = "--budget-hours", paramLabel = "H",
      description = "Compute budget in hours; needs --flops-per-second.")
  Double budgetHours;

  @Option(names = "--flops-per-second", paramLabel = "F",
      description = "Measured training throughput of the machine, for --budget-hours.")
  Double flopsPerSecond;

  @Option(names = "--predict", paramLabel = "N,D",
      description = "Predict the loss of N parameters trained on D tokens.")
  String predict;

  @Option(names = "--json", description = "Print one JSON object instead of tables.")
  boolean json;

  @Option(names = "--plots", paramLabel = "DIR", description = "Write PNG plots into DIR.")
  Path plots;

  @Option(names = "--coarse-starts",
      description = "Search from 243 L-BFGS starts, every other value of each coordinate of Hoffmann et al.'s"
          + " 4,500 (the default): about 18 times quicker, for a first look or a test on synthetic data.")
  boolean coarseStarts;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      String usageError = usageError();
      if (usageError != null) {
        err.println("ringtrain fit: " + usageError);
        return ExitCodes.BAD_INPUT;
      }
      List<ScalingPoint> points = readPoints();
      FitReport report = fit(points);
      PrintWriter out = spec.commandLine().getOut();
      out.print(json ? report.toJson() : report.toTable());
      out.flush();
      return ExitCodes.OK;
    } catch (BadInput e) {
      err.println("ringtrain fit: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    } catch (FitException e) {
      err.println("ringtrain fit: the fit failed: " + e.getMessage());
      return ExitCodes.FAILED;
    } catch (IOException e) {
      err.println("ringtrain fit: cannot write the plots: " + e);
      return ExitCodes.IO_ERROR;
    } catch (RuntimeException e) {
      // A bug, not bad input; one line still beats a stack trace for the user.
      err.println("ringtrain fit: internal error: " + e);
      return ExitCodes.FAILED;
    } finally {
      err.flush();
    }
  }

  private String usageError() {
    if ((budgetHours == null) != (flopsPerSecond == null)) {
      return "--budget-hours and --flops-per-second go together";
    }
    if (budgetFlops != null && budgetHours != null) {
      return "give the budget as --budget-flops or as --budget-hours, not both";
    }
    if (predict != null && prediction() == null) {
      return "--predict takes N,D: two positive numbers (parameters, tokens), got " + predict;
    }
    if (!(isoFlopTolerance >= 0)) {
      return "--isoflop-tolerance must be 0 or more, got " + isoFlopTolerance;
    }
    for (Double value : new Double[] {budgetFlops, budgetHours, flopsPerSecond}) {
      if (value != null && !(value > 0 && value < Double.POSITIVE_INFINITY)) {
        return "budgets and FLOP/s must be positive numbers, got " + value;
      }
    }
    if (dropHighest < 0) {
      return "--drop-highest must be 0 or more, got " + dropHighest;
    }
    if (bootstrap < 0 || bootstrap == 1) {
      return "--bootstrap must be 0 (off) or at least 2, got " + bootstrap;
    }
    if (plots != null && Files.exists(plots) && !Files.isDirectory(plots)) {
      return "--plots " + plots + " is a file, not a directory: give a directory for the PNGs";
    }
    return null;
  }

  /** {@code --predict} as {N, D}, or null when it is not two positive numbers. */
  private double[] prediction() {
    String[] parts = predict.split(",");
    if (parts.length != 2) {
      return null;
    }
    try {
      double n = Double.parseDouble(parts[0].trim());
      double d = Double.parseDouble(parts[1].trim());
      return n > 0 && d > 0 && n < Double.POSITIVE_INFINITY && d < Double.POSITIVE_INFINITY
          ? new double[] {n, d} : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private List<ScalingPoint> readPoints() {
    ResultsCsv.Columns columns = new ResultsCsv.Columns(paramsCol, tokensCol, flopsCol, lossCol);
    try {
      List<ScalingPoint> points = ResultsCsv.read(input, columns);
      if (dropHighest >= points.size()) {
        throw new BadInput(String.format(
            "--drop-highest %d leaves nothing of the %d runs in %s", dropHighest, points.size(),
            input));
      }
      return points;
    } catch (NoSuchFileException e) {
      throw new BadInput("no such file: " + input);
    } catch (IOException e) {
      throw new BadInput("cannot read " + input + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
  }

  private FitReport fit(List<ScalingPoint> all) throws IOException {
    List<Integer> kept = keptIndices(all);
    List<ScalingPoint> points = kept.stream().map(all::get).toList();
    ScalingLawFit fit = ScalingLawFit.fit(points, ScalingLawFit.HUBER_DELTA,
        coarseStarts ? ScalingLawFit.coarseGrid() : ScalingLawFit.grid());
    Intervals intervals = bootstrap > 0 ? fit.bootstrap(bootstrap, seed) : null;
    IsoFlopFit isoFlop = null;
    String isoFlopProblem = null;
    try {
      isoFlop = isoFlop(points, kept);
    } catch (FitException e) {
      // Sweeps without shared budgets are common: approach 2 is then simply not available.
      isoFlopProblem = e.getMessage();
    }
    ComputeOptimal optimal = new ComputeOptimal(fit.law());
    FitReport.Budget budget = null;
    if (budgetFlops != null) {
      budget = new FitReport.Budget(optimal.forFlops(budgetFlops), null, null);
    } else if (budgetHours != null) {
      budget = new FitReport.Budget(
          optimal.forHours(budgetHours, flopsPerSecond), budgetHours, flopsPerSecond);
    }
    double[] nd = predict == null ? null : prediction();
    FitReport.Prediction prediction = nd == null ? null
        : new FitReport.Prediction(nd[0], nd[1], optimal.loss(nd[0], nd[1]));
    List<Path> written = plots == null ? List.of()
        : new FitPlots(fit, isoFlop, optimal).write(plots);
    return new FitReport(
        input, all.size(), fit, intervals, isoFlop, isoFlopProblem, budget, prediction, written);
  }

  /** Row indices of the runs kept after dropping the highest losses, in file order. */
  private List<Integer> keptIndices(List<ScalingPoint> all) {
    List<Integer> byLoss = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      byLoss.add(i);
    }
    byLoss.sort(Comparator.comparingDouble((Integer i) -> all.get(i).loss()).reversed());
    List<Integer> kept = new ArrayList<>(byLoss.subList(dropHighest, byLoss.size()));
    kept.sort(null);
    return kept;
  }

  private IsoFlopFit isoFlop(List<ScalingPoint> points, List<Integer> kept) {
    if (budgetCol == null) {
      return IsoFlopFit.fit(points, isoFlopTolerance);
    }
    double[] budgets;
    try {
      budgets = ResultsCsv.readColumn(input, budgetCol);
    } catch (IOException | IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    Map<Double, List<ScalingPoint>> groups = new TreeMap<>();
    for (int i = 0; i < kept.size(); i++) {
      groups.computeIfAbsent(budgets[kept.get(i)], c -> new ArrayList<>()).add(points.get(i));
    }
    return IsoFlopFit.fitBudgets(groups);
  }

  /** Input the user must fix: reported as one line with exit code 2. */
  private static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message);
    }
  }
}
