package io.ringtrain.cli;

import io.ringtrain.bench.TrainStepBench;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.ClusterSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain bench train}: tokens/s and MFU of the training step on the S, M and L configs. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Time full training steps (forward, backward, AdamW, and the parameter digest ranks compare) on random",
      "tokens; print the median tokens/s and MFU of the timed steps, and the digest's own median time, after a",
      "warm-up of 3 steps and at least --warmup-seconds (the JIT compiles the kernels).",
      "S: 4 layers, 4 heads, width 128, context 128, batch 16, vocab 512; M: 6, 6, 384, 256, 8, 4096;",
      "L (GPT-2 124M): 12, 12, 768, 256, 4, 50304. With --backend opencl it also prints the one-time kernel",
      "compile and the host-device transfer time per step."
    })
public final class BenchTrainCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "S", description = "S, M or L (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: all cores).")
  int threads;

  @Option(names = "--steps", defaultValue = "10", description = "Timed steps after warm-up (at least 10; default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--peak-flops", defaultValue = TrainingPlan.PEAK_FLOPS_TEXT, description = "FLOP/s that MFU is relative to (default ${DEFAULT-VALUE}, this machine's OpenBLAS sgemm).")
  double peak;

  @Option(names = "--warmup-seconds", defaultValue = "10", description = "Least warm-up before timing, after"
      + " at least 3 steps (default ${DEFAULT-VALUE}: the JIT's compiling is over by then; 0 for a quick check).")
  double warmupSeconds;

  @Mixin BackendOptions backendOptions;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    if (steps < 10) throw new IllegalArgumentException("--steps=" + steps + ": the median needs at least 10");
    TrainStepBench.shape(model); // names the model when it is not S, M or L
    ClusterSpec cluster = backendOptions.apply(
        BackendOptions.defaults(threads > 0 ? threads : Runtime.getRuntime().availableProcessors()));
    TrainStepBench.Result r = TrainStepBench.run(model, cluster, steps, peak, warmupSeconds);
    System.out.println(json ? r.toJson() : r.toString());
    return ExitCodes.OK;
  }
}
