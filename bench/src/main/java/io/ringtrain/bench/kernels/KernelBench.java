package io.ringtrain.bench.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the JMH kernel benchmarks of one model's step shapes and turns their times into a table:
 * milliseconds per call and, for the matmuls and attention, GFLOP/s of useful work (attention
 * counts the causal half only).
 */
public final class KernelBench {
  private KernelBench() {}

  /** One kernel's figure: its name (e.g. "matmul.fc.forward"), the mean time and GFLOP/s (NaN
   * when the kernel is memory-bound and FLOPs are not its measure). */
  public record Row(String kernel, String shape, double ms, double gflops) {
    public String toJson() {
      return String.format(Locale.ROOT, "{\"kernel\":\"%s\",\"shape\":\"%s\",\"ms\":%.4f,\"gflops\":%s}",
          kernel, shape, ms, Double.isNaN(gflops) ? "null" : String.format(Locale.ROOT, "%.2f", gflops));
    }
  }

  /**
   * Benchmarks every kernel of {@code model}'s step with {@code threads} threads; {@code only}, a
   * regular expression over the benchmark names (e.g. "Matmul"), narrows the set.
   */
  public static List<Row> run(String model, int threads, String only, int warmups, int iterations,
      boolean quiet) throws RunnerException, IOException {
    StepShapes s = StepShapes.of(model);
    String pattern = KernelBench.class.getPackageName().replace(".", "\\.") + "\\..*("
        + (only == null ? "" : only) + ").*";
    ChainedOptionsBuilder opts = new OptionsBuilder()
        .include(pattern)
        .param("model", model)
        .param("threads", Integer.toString(threads))
        .forks(1)
        .warmupIterations(warmups)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(1))
        .jvmArgsAppend("--add-modules=jdk.incubator.vector")
        .verbosity(quiet ? VerboseMode.SILENT : VerboseMode.NORMAL);
    Collection<RunResult> results;
    // Quiet: the forked JVMs' own output (the incubator-module warning) goes to a file, not stdout.
    Path log = quiet ? Files.createTempFile("ringtrain-jmh", ".log") : null;
    try {
      results = new Runner((log == null ? opts : opts.output(log.toString())).build()).run();
    } catch (NoBenchmarksException e) {
      throw new IllegalArgumentException("'" + only + "' matches no kernel benchmark: the names are"
          + " MatmulBenchmark.{forward,backward}, AttentionBenchmark.{forward,backward} and"
          + " PointwiseBenchmark.{layernorm,gelu}{Forward,Backward}, .residualForward,"
          + " .crossEntropy{Forward,Backward}, .adamw (a regular expression, e.g. 'Matmul.*forward')");
    } finally {
      if (log != null) {
        Files.deleteIfExists(log);
      }
    }
    List<Row> rows = new ArrayList<>();
    for (RunResult r : results) {
      String bench = r.getParams().getBenchmark();
      String method = bench.substring(bench.lastIndexOf('.') + 1);
      String cls = bench.substring(0, bench.lastIndexOf('.'));
      cls = cls.substring(cls.lastIndexOf('.') + 1).replace("Benchmark", "").toLowerCase(Locale.ROOT);
      double ms = r.getPrimaryResult().getScore();
      rows.add(row(s, cls, method, r.getParams().getParam("layer"), ms));
    }
    return rows;
  }

  private static Row row(StepShapes s, String cls, String method, String layer, double ms) {
    long n = s.rows();
    switch (cls) {
      case "matmul": {
        int[] io = s.projection(layer);
        double flops = (method.equals("forward") ? 2.0 : 4.0) * n * io[0] * io[1];
        return new Row("matmul." + layer + "." + method, n + "x" + io[0] + " . " + io[0] + "x" + io[1],
            ms, flops / (ms * 1e6));
      }
      case "attention": {
        // Scores and the weighted sum of values over the causal half: 2 B T^2 C forward, twice that back.
        double flops = (method.equals("forward") ? 2.0 : 4.0) * s.B() * (double) s.T() * s.T() * s.C();
        return new Row("attention." + method, "B" + s.B() + " T" + s.T() + " C" + s.C() + " NH" + s.NH(),
            ms, flops / (ms * 1e6));
      }
      default: {
        String shape = method.startsWith("gelu") ? n + "x" + 4 * s.C()
            : method.startsWith("crossEntropy") ? n + "x" + s.Vp()
            : method.equals("adamw") ? "all parameters" : n + "x" + s.C();
        return new Row(method, shape, ms, Double.NaN);
      }
    }
  }

  public static String table(String model, int threads, List<Row> rows) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "model %s, %d threads%n", model, threads));
    b.append(String.format(Locale.ROOT, "%-26s %-26s %10s %9s%n", "kernel", "shape", "ms", "GFLOP/s"));
    for (Row r : rows) {
      b.append(String.format(Locale.ROOT, "%-26s %-26s %10.3f %9s%n", r.kernel(), r.shape(), r.ms(),
          Double.isNaN(r.gflops()) ? "-" : String.format(Locale.ROOT, "%.1f", r.gflops())));
    }
    return b.toString();
  }
}
