package io.ringtrain.cli;

import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.spec.JobSpecs;
import picocli.CommandLine.Option;

/**
 * --backend and --device, the same two flags on every command that computes (train, simulate and
 * submit through {@link JobSpecOptions}, resume, eval, sample, bench train, bench matmul): each sets
 * its field of the cluster spec. Left out, the spec's value stands (resume: the run's); eval and
 * sample start from the default backend, the bench commands from {@link #defaults}.
 */
final class BackendOptions {
  @Option(names = "--backend", description = "cluster.backend: java | opencl | auto (auto: an OpenCL GPU if one runs,"
      + " else java; default: the spec's, resume: the run's, otherwise " + JobSpecs.DEFAULT_BACKEND + ")")
  String backend;

  @Option(names = "--device", description = "cluster.device: OpenCL device index or name substring (see `ringtrain"
      + " devices`; default: the first GPU, else the first device)")
  String device;

  /** What a command that has no spec computes on before the flags: the default backend, {@code threads} threads. */
  static ClusterSpec defaults(int threads) {
    return ClusterSpec.newBuilder().setBackend(JobSpecs.DEFAULT_BACKEND).setDevice("").setThreads(threads).build();
  }

  /** The cluster spec with the flags given applied over it. */
  ClusterSpec apply(ClusterSpec cluster) {
    ClusterSpec.Builder b = cluster.toBuilder();
    apply(b);
    return b.build();
  }

  void apply(ClusterSpec.Builder b) {
    if (backend != null) b.setBackend(backend);
    if (device != null) b.setDevice(device);
  }
}
