package io.ringtrain.cli;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.progress.ProgressLine;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.sweep.SweepResults;
import io.ringtrain.sweep.SweepRun;
import io.ringtrain.sweep.SweepSpec;
import io.ringtrain.sweep.SweepSpeed;
import io.ringtrain.sweep.SweepTable;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain sweep}: plan, train and fit a grid or IsoFLOP sweep over model and data size. */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a scaling-law sweep and fit L(N, D) = E + A/N^alpha + B/D^beta to it. The spec (JSON) "
          + "holds \"base\" (a job spec: data, batch, context, lr, threads...), \"mode\": \"grid\" "
          + "(\"params\" x \"tokens\") or \"isoflop\" (\"flops\" x \"params\", each run D = C / 6N), "
          + "optional \"data\" (a `tokenize` output), \"family\", and \"launcher\": \"train\" "
          + "(default) or \"simulate\" with \"workers\".",
      "",
      "Model family: width = width_step*k, heads = width / head_size, layers = width / "
          + "width_per_layer clamped to [min_layers, max_layers] (defaults 32, 16, 32, 1, 8); context "
          + "and vocabulary are the base's. Each target size gets the shape whose total parameters "
          + "are nearest it in ratio.",
      "",
      "Every run is planned first (shape, params, tokens, 6ND FLOPs, time estimated from a measured "
          + "FLOP/s) and printed as a table; --dry-run stops there. Runs go to <out>/runs/<name>/, "
          + "evaluated and checkpointed at their last step; <out>/results.csv is rewritten after each. "
          + "A sweep started again skips finished runs and restarts unfinished ones from scratch.",
      "",
      "Then `fit` runs on results.csv: its table is printed and kept in <out>/fit.txt, its plots go "
          + "to <out>/plots/. The budget column of results.csv (IsoFLOP: the run's C; grid: its 6ND) "
          + "groups the runs for the IsoFLOP minima. See docs/scaling.md.",
      "",
      "Exit codes: 0 done (a fit not possible yet is reported, not an error), 1 a run failed, "
          + "2 bad sweep spec or data."
    })
public final class SweepCommand implements Callable<Integer> {
  @Option(names = "--spec", required = true, paramLabel = "FILE", description = "Sweep spec (JSON).")
  Path specFile;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Sweep directory (default: runs/sweeps/<spec file name>).")
  Path out;

  @Option(names = "--data", paramLabel = "PATH", description = "Data to use instead of the spec's (as train --data).")
  String data;

  @Option(names = "--dry-run", description = "Print the plan and stop.")
  boolean dryRun;

  @Option(names = "--max-runs", paramLabel = "K",
      description = "Train at most K runs this time; the rest are left for the next start.")
  Integer maxRuns;

  @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "200",
      description = "Bootstrap resamples for the fit's intervals (default: ${DEFAULT-VALUE}).")
  int bootstrap;

  @Option(names = "--coarse-fit", description = "Fit with `fit --coarse-starts`: 243 starts instead of 4,500.")
  boolean coarseFit;

  @Override
  public Integer call() throws Exception {
    if (maxRuns != null && maxRuns < 0) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "--max-runs must be 0 or more, got " + maxRuns);
    }
    SweepSpec sweep = SweepSpec.parse(Files.readString(specFile, StandardCharsets.UTF_8), specFile.toString());
    if (out == null) out = Path.of("runs", "sweeps", specFile.getFileName().toString().replaceFirst("\\.json$", ""));
    Configuration conf = HadoopConf.configuration();
    List<SweepRun> runs = SweepRun.plan(sweep, base(sweep, conf), out);
    FileSystem fs = new org.apache.hadoop.fs.Path(out.toString()).getFileSystem(conf);
    Map<String, Double> losses = new LinkedHashMap<>();
    for (SweepRun run : runs) {
      OptionalDouble loss = SweepResults.finalLoss(fs, run);
      if (loss.isPresent()) losses.put(run.name(), loss.getAsDouble());
    }
    PrintStream o = System.out;
    double speed = speed(fs, runs, losses);
    SweepTable.print(o, runs, losses, speed);
    if (dryRun) return ExitCodes.OK;

    int trained = trainMissing(fs, runs, losses, o);
    // Also when nothing was trained now: rows of runs no longer in the plan leave the file.
    SweepResults.write(out.resolve("results.csv"), runs, losses);
    o.printf("sweep: %d of %d runs finished (%d trained now); results in %s%n", losses.size(), runs.size(), trained,
        out.resolve("results.csv"));
    fit(o, losses.size());
    return ExitCodes.OK;
  }

  /** Trains the unfinished runs in plan order (at most --max-runs), rewriting results.csv after each. */
  private int trainMissing(FileSystem fs, List<SweepRun> runs, Map<String, Double> losses, PrintStream o)
      throws Exception {
    int trained = 0;
    for (SweepRun run : runs) {
      if (losses.containsKey(run.name())) continue;
      if (maxRuns != null && trained == maxRuns) {
        o.println("sweep: stopping after " + trained + " runs (--max-runs); start it again to continue");
        break;
      }
      train(fs, run);
      trained++;
      OptionalDouble loss = SweepResults.finalLoss(fs, run);
      if (loss.isEmpty()) {
        throw new UserFacingFailure(ExitCodes.FAILED, "run " + run.name() + " ended without its final validation loss");
      }
      losses.put(run.name(), loss.getAsDouble());
      SweepResults.write(out.resolve("results.csv"), runs, losses);
    }
    return trained;
  }

  /** The base job spec with the data applied and every field defaulted and validated. */
  private JobSpec base(SweepSpec sweep, Configuration conf) throws java.io.IOException {
    JobSpec.Builder b = sweep.base().toBuilder();
    String dataPath = data != null ? data : sweep.data();
    if (dataPath != null) JobSpecOptions.useData(b, dataPath, conf);
    JobSpec base = JobSpecs.resolve(b.build(), specFile + ": base");
    if (base.getData().getTrain().isEmpty()) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "sweep " + specFile
          + " names no data: give \"data\" (a `tokenize` output), base.data.train, or --data");
    }
    return base;
  }

  /** From the finished runs when there are some (they are this sweep, on this machine), else a probe. */
  private double speed(FileSystem fs, List<SweepRun> runs, Map<String, Double> losses) throws Exception {
    List<SweepRun> finished = runs.stream().filter(r -> losses.containsKey(r.name())).toList();
    if (!finished.isEmpty()) return SweepSpeed.measured(fs, finished);
    if (losses.size() == runs.size()) return Double.NaN;
    System.out.println("sweep: measuring the speed with " + SweepSpeed.PROBE_STEPS + " steps of the largest model");
    return SweepSpeed.probe(fs, runs, out.resolve("probe"),
        spec -> TrainingJob.run(spec, null, new PrintStream(OutputStream.nullOutputStream())));
  }

  /**
   * An unfinished run is restarted from scratch, not resumed: runs checkpoint only at their end, so
   * an unfinished one holds nothing to resume from, and a clean start keeps every run's loss curve
   * whole.
   */
  private void train(FileSystem fs, SweepRun run) throws Exception {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(run.spec().getOut());
    if (fs.exists(dir)) {
      System.out.println("sweep: " + run.name() + " is unfinished or its spec changed: starting it again");
      fs.delete(dir, true);
    }
    System.out.printf(Locale.ROOT, "sweep: training %s (%s params, %s tokens)%n", run.name(),
        ProgressLine.human(run.plan().params()), ProgressLine.human(run.plan().tokens()));
    TrainingJob.run(run.spec(), null, System.out);
  }

  /**
   * Fits results.csv with `ringtrain fit`, prints its table and keeps it in fit.txt; a fit not yet
   * possible (too few runs, one model size) is reported, and the sweep is still done.
   */
  private void fit(PrintStream o, int points) throws java.io.IOException {
    if (points == 0) return;
    StringWriter fitOut = new StringWriter();
    StringWriter fitErr = new StringWriter();
    List<String> args = new ArrayList<>(List.of("--input", out.resolve("results.csv").toString(), "--plots",
        out.resolve("plots").toString(), "--bootstrap", Integer.toString(bootstrap), "--budget-col", "budget"));
    if (coarseFit) args.add("--coarse-starts");
    int code = new CommandLine(new FitCommand()).setOut(new PrintWriter(fitOut)).setErr(new PrintWriter(fitErr))
        .execute(args.toArray(String[]::new));
    if (code != ExitCodes.OK) {
      o.println("sweep: no fit yet: " + fitErr.toString().strip().replaceFirst("^ringtrain fit: ", ""));
      return;
    }
    Files.writeString(out.resolve("fit.txt"), fitOut.toString(), StandardCharsets.UTF_8);
    o.print(fitOut);
    o.println("sweep: fit in " + out.resolve("fit.txt") + ", plots in " + out.resolve("plots"));
  }
}
