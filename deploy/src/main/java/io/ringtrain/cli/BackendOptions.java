package io.ringtrain.cli;

import io.ringtrain.proto.ClusterSpec;
import picocli.CommandLine.Option;

/** --backend and --device for the commands that load a checkpoint (resume, eval, sample). */
final class BackendOptions {
  @Option(names = "--backend", description = "java | opencl | auto (default: the run's for resume, java otherwise)")
  String backend;

  @Option(names = "--device", description = "OpenCL device index or name substring (see `ringtrain devices`)")
  String device;

  /** The cluster spec with the flags given applied over it. */
  ClusterSpec apply(ClusterSpec cluster) {
    ClusterSpec.Builder b = cluster.toBuilder();
    if (backend != null) b.setBackend(backend);
    if (device != null) b.setDevice(device);
    return b.build();
  }
}
