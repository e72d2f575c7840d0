package io.ringtrain.cli;

import io.ringtrain.bench.TrainStepBench;
import io.ringtrain.bench.kernels.KernelBench;
import io.ringtrain.launch.ExitCodes;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain bench kernels}: JMH figures for every kernel of a training step. */
@Command(
    name = "kernels",
    mixinStandardHelpOptions = true,
    description = {
      "Run the JMH benchmark of every kernel of one model's training step at its real shapes (the",
      "projections forward and backward, attention, LayerNorm, GELU, residual, softmax + cross-entropy,",
      "AdamW) and print ms per call and GFLOP/s. Each benchmark runs in a forked JVM: about 5 s each,",
      "2-3 minutes per model. bench/compare-kernels.sh sets them beside PyTorch's."
    })
public final class BenchKernelsCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "M", description = "S, M or L (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: all cores).")
  int threads;

  @Option(names = "--only", description = "Regular expression over benchmark names, e.g. Matmul or 'Matmul.*forward'.")
  String only;

  @Option(names = "--warmups", defaultValue = "2", description = "Warm-up iterations of 1 s (default ${DEFAULT-VALUE}).")
  int warmups;

  @Option(names = "--iterations", defaultValue = "3", description = "Measured iterations of 1 s (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--json", description = "Print one JSON object per kernel, one per line, and nothing else.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (iterations < 1 || warmups < 0) {
      throw new IllegalArgumentException("--iterations must be at least 1 and --warmups at least 0");
    }
    TrainStepBench.shape(model); // names the model when it is not S, M or L
    int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    List<KernelBench.Row> rows = KernelBench.run(model, t, only, warmups, iterations, json);
    System.out.print(json ? rows.stream().map(KernelBench.Row::toJson).collect(Collectors.joining("\n", "", "\n"))
        : KernelBench.table(model, t, rows));
    return ExitCodes.OK;
  }
}
