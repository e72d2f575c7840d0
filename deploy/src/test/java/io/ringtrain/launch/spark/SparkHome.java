package io.ringtrain.launch.spark;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A SPARK_HOME for {@code local-cluster[...]} built from the test class path: executor JVMs start
 * with {@code $SPARK_HOME/jars/*} as their class path, as on a Spark installation. The build sets
 * SPARK_HOME (deploy/pom.xml) to a folder under target/; this fills its {@code jars/} with links
 * to the jars of this JVM's class path.
 */
public final class SparkHome {
  /** Test machinery that an executor never needs; the minicluster would also bring a second epoll library. */
  private static final List<String> NOT_FOR_EXECUTORS = List.of("hadoop-client-minicluster", "junit", "surefire",
      "opentest4j", "apiguardian", "bcprov", "bcpkix", "bcutil");

  private SparkHome() {}

  /**
   * Makes {@code $SPARK_HOME/jars} hold every class-path jar except test machinery and, when
   * {@code withRingtrain} is false, ringtrain's own module jars (an application jar brings those).
   */
  public static synchronized Path prepare(boolean withRingtrain) {
    String home = System.getenv("SPARK_HOME");
    if (home == null) {
      throw new IllegalStateException("SPARK_HOME is not set: deploy/pom.xml sets it for surefire and failsafe");
    }
    Path jars = Path.of(home, "jars");
    try {
      if (Files.isDirectory(jars)) {
        try (var old = Files.list(jars)) {
          for (Path p : old.toList()) Files.delete(p);
        }
      }
      Files.createDirectories(jars);
      for (Path jar : classPath()) {
        String name = jar.getFileName().toString();
        if (!Files.isRegularFile(jar) || !name.endsWith(".jar")) continue;
        if (NOT_FOR_EXECUTORS.stream().anyMatch(name::startsWith)) continue;
        if (!withRingtrain && name.startsWith("ringtrain-")) continue;
        Path link = jars.resolve(name);
        if (!Files.exists(link)) Files.createSymbolicLink(link, jar.toAbsolutePath());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build " + jars, e);
    }
    return Path.of(home);
  }

  /** The class directories of this JVM (the modules' target/classes, test-classes), for spark.executor.extraClassPath. */
  public static String classDirectories() {
    return classPath().stream().filter(Files::isDirectory).map(p -> p.toAbsolutePath().toString())
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static List<Path> classPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of).toList();
  }
}
