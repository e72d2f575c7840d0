package io.ringtrain.train;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.kernels.opencl.OpenClBackend;
import io.ringtrain.kernels.opencl.OpenClDevices;
import io.ringtrain.kernels.opencl.OpenClException;
import io.ringtrain.proto.ClusterSpec;
import java.io.PrintStream;
import java.util.Optional;

/**
 * Chooses the kernels a worker computes with, from cluster.backend, cluster.device and
 * cluster.threads.
 *
 * <ul>
 *   <li>{@code java}: the Vector API backend.
 *   <li>{@code opencl}: the device cluster.device names (index or name substring; empty: the
 *       first GPU, else the first device). If OpenCL is missing, the device is unknown, the
 *       kernel does not build or Aparapi falls back to Java threads, this fails with an
 *       {@link OpenClException} saying why: it never reports OpenCL when OpenCL did not run.
 *   <li>{@code auto}: an OpenCL GPU when one is present (or the device cluster.device names)
 *       and it really runs; otherwise the Java backend, with a one-line notice.
 * </ul>
 */
public final class Backends {
  private Backends() {}

  public static Backend create(ClusterSpec cluster, PrintStream notices) {
    switch (cluster.getBackend()) {
      case "java":
        return new JavaBackend(cluster.getThreads());
      case "opencl":
        return announce(OpenClBackend.open(cluster.getDevice()), notices);
      case "auto":
        return auto(cluster, notices);
      default:
        throw new IllegalArgumentException("cluster.backend=" + cluster.getBackend()
            + " is not one of java, opencl, auto");
    }
  }

  private static Backend announce(OpenClBackend be, PrintStream notices) {
    notices.printf("backend %s; kernels compiled in %.1f s%n", be.describe(),
        be.compileMillis() / 1e3);
    return be;
  }

  private static Backend auto(ClusterSpec cluster, PrintStream notices) {
    String why;
    try {
      Optional<OpenClDevices.Info> gpu = cluster.getDevice().isEmpty()
          ? OpenClDevices.list().stream().filter(OpenClDevices.Info::gpu).findFirst()
          : Optional.of(OpenClDevices.choose(cluster.getDevice()));
      if (gpu.isPresent()) {
        return announce(OpenClBackend.open(gpu.get()), notices);
      }
      why = "no OpenCL GPU";
    } catch (OpenClException e) {
      why = e.getMessage().lines().findFirst().orElse(e.toString());
    }
    notices.println("backend auto: using the Java (Vector API) backend (" + why + ")");
    return new JavaBackend(cluster.getThreads());
  }
}
