package io.ringtrain.worker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a ringtrain JVM started from this one (a worker of a local cluster, a rank
 * of the all-reduce bench, a launcher a test starts): this JVM's java binary and class path, and
 * the flags bin/ringtrain gives its own JVM, so that every child computes as a user's process does.
 */
public final class ChildJvm {
  /**
   * The Vector API the Java kernels use is an incubator module; the parallel collector is the one
   * bin/ringtrain and Spark executors run with.
   */
  public static final List<String> FLAGS = List.of("--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC");

  private ChildJvm() {}

  /** java, {@link #FLAGS}, this JVM's class path, {@code main}, then {@code args}; a list to add to. */
  public static List<String> command(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(FLAGS);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
