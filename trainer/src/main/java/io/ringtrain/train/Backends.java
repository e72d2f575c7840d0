package io.ringtrain.train;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.proto.ClusterSpec;
import java.io.PrintStream;

/** Chooses the kernels a worker computes with, from cluster.backend and cluster.threads. */
public final class Backends {
  private Backends() {}

  public static Backend create(ClusterSpec cluster, PrintStream notices) {
    switch (cluster.getBackend()) {
      case "java":
        return new JavaBackend(cluster.getThreads());
      case "auto":
        // No OpenCL backend is built yet, so auto means the Java backend; say so once.
        notices.println("backend auto: using the Java (Vector API) backend");
        return new JavaBackend(cluster.getThreads());
      default:
        throw new IllegalArgumentException("cluster.backend=" + cluster.getBackend()
            + " is not available in this build: use java or auto");
    }
  }
}
