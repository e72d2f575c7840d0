package io.ringtrain.cli;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.model.ActivationLayout;
import io.ringtrain.plan.MemoryEstimate;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.ring.bench.AllReduceBench;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.worker.WorkerHosts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringtrain bench allreduce}: ring all-reduce bandwidth among worker JVMs on 127.0.0.1, or
 * on the hosts {@value WorkerHosts#ENV} names (bench/cluster-netns.sh).
 */
@Command(
    name = "allreduce",
    mixinStandardHelpOptions = true,
    description = {
      "All-reduce M MiB of floats among N worker JVMs over the Netty ring on 127.0.0.1. Prints the median time",
      "(slowest rank per iteration), algorithm bandwidth and bus bandwidth (busbw = bytes/time x 2(N-1)/N, as nccl-tests),",
      "counting the fp32 buffer; wire busbw counts the bytes sent (half of them with --wire-dtype bf16).",
      "Cores busy: the ranks' CPU time in the timed iterations over their wall time (CPU-bound when near the core count).",
      "Timing starts once every rank's JIT has been quiet for a second (after at least 5 s per pair of ranks);",
      "JIT: the ranks' compile time that still fell inside the timed iterations.",
      "With " + WorkerHosts.ENV + "=NETNS@ADDRESS,... set (bench/cluster-netns.sh sets it), rank i runs in network",
      "namespace i mod n and its ring binds that address: a cluster of hosts on one machine."
    })
public final class BenchAllReduceCommand implements Callable<Integer> {
  @Option(names = "--workers", defaultValue = "2", description = "Ranks, one JVM each (default ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--mib", defaultValue = "64", description = "Buffer size in MiB (default ${DEFAULT-VALUE}).")
  int mib;

  @Option(names = "--iterations", defaultValue = "20", description = "Timed iterations after warm-up (default ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = "--wire-dtype", defaultValue = "fp32", paramLabel = "fp32|bf16",
      description = "Precision on the wire, as cluster.wire_dtype (default ${DEFAULT-VALUE}).")
  String wireDtype;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  /** The most MiB one rank's float[] holds. */
  static final long MAX_MIB = ActivationLayout.MAX_FLOATS * Float.BYTES >> 20;

  @Override
  public Integer call() {
    checkSizes();
    AllReduceBench.Result r = AllReduceBench.run(workers, mib, iterations, WireDtype.of(wireDtype),
        WorkerHosts.fromEnvironment());
    System.out.println(json ? r.toJson() : r.toString());
    return ExitCodes.OK;
  }

  /**
   * Each rank is a JVM of the default heap holding the buffer and about as much again in ring
   * frames in flight; all of them share this machine's memory.
   */
  private void checkSizes() {
    if (workers < 1 || workers > JobSpecs.MAX_WORKERS) {
      throw new IllegalArgumentException("--workers=" + workers + " is outside 1.." + JobSpecs.MAX_WORKERS);
    }
    if (mib < 1 || mib > MAX_MIB) {
      throw new IllegalArgumentException("--mib=" + mib + " is outside 1.." + MAX_MIB + " (one Java float array)");
    }
    if (iterations < 1) throw new IllegalArgumentException("--iterations=" + iterations + " must be > 0");
    long perRank = 2L * mib << 20;
    long heap = MemoryEstimate.defaultHeapBytes();
    if (perRank > heap) {
      throw new IllegalArgumentException("--mib=" + mib + " needs about " + MemoryEstimate.gib(perRank)
          + " per rank but each rank JVM gets " + MemoryEstimate.gib(heap) + " of heap: use --mib "
          + (heap >> 21) + " or less");
    }
    long physical = MemoryEstimate.physicalMemoryBytes();
    double all = (double) workers * (perRank + MemoryEstimate.JVM_OVERHEAD_BYTES);
    if (all > physical) {
      throw new IllegalArgumentException("--workers=" + workers + " ranks of --mib=" + mib + " need about "
          + MemoryEstimate.gib((long) all) + " together, more than this machine's " + MemoryEstimate.gib(physical)
          + ": use fewer workers or a smaller buffer");
    }
  }
}
