package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.auth.Hmac;
import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.launch.spark.SparkHome;
import io.ringtrain.launch.spark.SparkTests;
import io.ringtrain.launch.spark.SparkWorkers;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.worker.WorkerContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The application jar (classifier spark) as spark-submit ships it: executors whose class path is
 * SPARK_HOME/jars (Spark with its Netty) plus that jar alone run the real workers of a job whose
 * coordinator is in this JVM.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SparkApplicationJarIT {
  static Path applicationJar() throws IOException {
    Path target = Path.of(System.getProperty("ringtrain.root")).resolve("deploy/target");
    try (Stream<Path> s = Files.list(target)) {
      return s.filter(p -> p.getFileName().toString().matches("ringtrain-deploy-.*-spark\\.jar")).findFirst()
          .orElseThrow(() -> new AssertionError("no application jar in " + target + " (mvn package builds it)"));
    }
  }

  @Test
  void bundlesNoClusterJarAndReachesOnlyItsRelocatedNettyAndProtobuf() throws IOException {
    List<String> unrelocated = new ArrayList<>();
    try (JarFile jar = new JarFile(applicationJar().toFile())) {
      for (JarEntry e : java.util.Collections.list(jar.entries())) {
        String name = e.getName();
        assertFalse(name.matches("(org/apache/spark|org/apache/hadoop|scala|io/netty|com/google/protobuf|org/slf4j)/.*"),
            name + " is in the application jar");
        if (!name.endsWith(".class") || !name.startsWith("io/ringtrain/") || name.startsWith("io/ringtrain/shaded/")) {
          continue;
        }
        String constants = new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.ISO_8859_1);
        if (constants.contains("io/netty/") || constants.contains("com/google/protobuf/")) unrelocated.add(name);
      }
    }
    assertEquals(List.of(), unrelocated, "classes that reference Netty or protobuf by their own names");
  }

  @Test
  void executorsWithSparksJarsAndTheApplicationJarRunTheWorkers() throws Exception {
    Path data = Files.createTempDirectory("ringtrain-jar-it");
    Cli.tokenizeDemoHead(data.resolve("data"), 200, "--vocab-size", "300");
    JobSpecOptions o = new JobSpecOptions();
    o.data = data.resolve("data").toString();
    o.out = data.resolve("run").toString();
    o.layers = 2;
    o.heads = 2;
    o.width = 32;
    o.context = 32;
    o.batch = 2;
    o.steps = 3L;
    o.threads = 1;
    o.workers = 2;
    JobSpec spec = o.resolve(io.ringtrain.data.HadoopConf.configuration());
    SparkHome.prepare(false);
    String secret = Hmac.newSecret();
    try (JavaSparkContext sc = SparkTests.context(SparkTests.conf("local-cluster[2,1,1024]", "application-jar-it")
            .set("spark.jars", applicationJar().toString())
            .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector")
            .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13"));
         Coordinator c = new Coordinator(spec, "jar-it", secret, "127.0.0.1", 0, 120_000, new io.ringtrain.coordinator.JobListener() {})) {
      SparkWorkers workers = new SparkWorkers(sc, 2,
          new WorkerContext(0, 0, "127.0.0.1", c.port(), "jar-it", secret, "127.0.0.1"), Duration.ofSeconds(90));
      List<String> placed = workers.launch(0).get(240, TimeUnit.SECONDS);
      assertEquals(2, placed.size(), placed.toString());
      JobOutcome outcome = c.outcome().get(10, TimeUnit.SECONDS);
      assertTrue(outcome.ok(), outcome.reason());
    }
  }
}
