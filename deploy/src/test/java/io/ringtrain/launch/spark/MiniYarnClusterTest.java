package io.ringtrain.launch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** spark-submit --master yarn --deploy-mode cluster to Hadoop's MiniYARNCluster. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MiniYarnClusterTest {
  @TempDir Path tmp;

  @Test
  void aBarrierAppInClusterModeWritesWhatItsTasksGathered() throws Exception {
    Path result = tmp.resolve("gathered.txt");
    try (MiniYarn yarn = new MiniYarn(tmp)) {
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          // spark-submit's launcher puts HADOOP_CONF_DIR on the class path; Configuration reads it from there.
          "-cp", yarn.confDir() + File.pathSeparator + System.getProperty("java.class.path"),
          "org.apache.spark.deploy.SparkSubmit",
          "--master", "yarn", "--deploy-mode", "cluster", "--class", YarnProbeApp.class.getName(),
          "--num-executors", "2", "--executor-cores", "1", "--executor-memory", "512m", "--driver-memory", "512m",
          "--conf", "spark.yarn.jars=" + localJars(),
          "--conf", "spark.driver.extraClassPath=" + SparkHome.classDirectories(),
          "--conf", "spark.executor.extraClassPath=" + SparkHome.classDirectories(),
          "--conf", "spark.dynamicAllocation.enabled=false",
          "--conf", "spark.ui.enabled=false",
          "--conf", "spark.yarn.maxAppAttempts=1",
          appJar().toString(), result.toString()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(tmp.resolve("spark-submit.log").toFile());
      pb.environment().put("HADOOP_CONF_DIR", yarn.confDir().toString());
      pb.environment().put("YARN_CONF_DIR", yarn.confDir().toString());
      Process p = pb.start();
      if (!p.waitFor(150, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("spark-submit still running after 150 s:\n" + tail(tmp.resolve("spark-submit.log")));
      }
      assertEquals(0, p.exitValue(), tail(tmp.resolve("spark-submit.log")));
    }
    // FINISHED alone proves little in cluster mode: check what the application wrote.
    assertTrue(Files.exists(result), "the application wrote nothing");
    List<String> lines = Files.readAllLines(result);
    assertEquals(2, lines.size(), lines.toString());
    for (String line : lines) assertEquals("0,1", line.split(" in ")[0], lines.toString());
  }

  /** Every jar of the test class path as a local: URI: on the (one) node already, nothing to upload. */
  private static String localJars() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> p.endsWith(".jar")).map(p -> "local:" + p).collect(Collectors.joining(","));
  }

  /** spark-submit needs a primary jar; the classes themselves come through extraClassPath. */
  private Path appJar() throws IOException {
    Path jar = tmp.resolve("probe.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("META-INF/ringtrain-probe"));
      out.closeEntry();
    }
    return jar;
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of("(no output)");
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
