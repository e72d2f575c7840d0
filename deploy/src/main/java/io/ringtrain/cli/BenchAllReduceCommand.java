package io.ringtrain.cli;

import io.ringtrain.ring.bench.AllReduceBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain bench allreduce}: ring all-reduce bandwidth among worker JVMs on 127.0.0.1. */
@Command(
    name = "allreduce",
    mixinStandardHelpOptions = true,
    description = {
      "All-reduce M MiB of floats among N worker JVMs over the Netty ring on 127.0.0.1. Prints the median time",
      "(slowest rank per iteration), algorithm bandwidth and bus bandwidth (busbw = bytes/time x 2(N-1)/N, as nccl-tests)."
    })
public final class BenchAllReduceCommand implements Callable<Integer> {
  @Option(names = "--workers", defaultValue = "2", description = "Ranks, one JVM each (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--mib", defaultValue = "64", description = "Buffer size in MiB (default ${DEFAULT-VALUE}).")
  int mib;

  @Option(names = "--iterations", defaultValue = "20", description = "Timed iterations after warm-up (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    AllReduceBench.Result r = AllReduceBench.run(workers, mib, iterations);
    System.out.println(json ? r.toJson() : r.toString());
    return ExitCodes.OK;
  }
}
