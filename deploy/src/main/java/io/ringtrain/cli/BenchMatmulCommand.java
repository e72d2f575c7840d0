package io.ringtrain.cli;

import io.ringtrain.bench.MatmulBench;
import io.ringtrain.kernels.Backend;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.train.Backends;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain bench matmul}: GFLOP/s of the matmul kernels of the Java or the OpenCL backend. */
@Command(
    name = "matmul",
    mixinStandardHelpOptions = true,
    description = {
      "Time the matmul kernels (forward; backward = dinp + dW + dbias) on the S and M training shapes",
      "and a 1024^3 reference; print the median ms and GFLOP/s of each."
    })
public final class BenchMatmulCommand implements Callable<Integer> {
  @Mixin BackendOptions backendOptions;

  @Option(names = "--threads", defaultValue = "0", description = "Java backend threads (default: all cores).")
  int threads;

  @Option(names = "--reps", defaultValue = "5", description = "Timed calls per shape after 2 warm-up calls (default ${DEFAULT-VALUE}).")
  int reps;

  @Override
  public Integer call() {
    if (reps < 1) throw new IllegalArgumentException("--reps must be at least 1");
    try (Backend be = Backends.create(backendOptions.apply(
        BackendOptions.defaults(threads > 0 ? threads : Runtime.getRuntime().availableProcessors())), System.err)) {
      System.out.println(MatmulBench.header(be));
      List<MatmulBench.Row> rows = MatmulBench.run(be, MatmulBench.SHAPES, reps);
      rows.forEach(System.out::println);
    }
    return ExitCodes.OK;
  }
}
