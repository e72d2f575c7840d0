package io.ringtrain.launch.spark;

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
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * Hadoop's MiniYARNCluster (one ResourceManager, one NodeManager) configured as Spark's own
 * BaseYarnClusterSuite configures it, with its configuration written to a folder that
 * spark-submit reads as HADOOP_CONF_DIR.
 */
public final class MiniYarn implements AutoCloseable {
  /** The one NodeManager's memory for containers, in MB. */
  public static final int NODE_MEMORY_MB = 9216;

  private final MiniYARNCluster cluster;
  private final Path confDir;

  public MiniYarn(Path workDir) throws IOException, InterruptedException {
    YarnConfiguration conf = new YarnConfiguration();
    // The build machine's disks are often fuller than YARN's 90 % default: the node would be "unhealthy".
    conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    // The capacity scheduler's queues, set in code: the minicluster ships no capacity-scheduler.xml.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    // Small containers on a small machine: the AM and executors ask for 512 MB + overhead.
    conf.setInt("yarn.scheduler.minimum-allocation-mb", 256);
    // The node's memory: MiniYARNCluster overwrites yarn.nodemanager.resource.memory-mb with this key's
    // value (4096 by default), so setting that one has no effect. 4 GB holds the AM and only two 896 MB
    // executors (heap + 384 MB overhead, in 256 MB steps); a bigger request waits for ever, unrefused.
    // This holds the AM and two 3 GB executors (model M in bench/compare-submit.sh).
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, NODE_MEMORY_MB);
    conf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
    conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    conf.set("yarn.resourcemanager.hostname", "127.0.0.1");
    conf.set("yarn.nodemanager.hostname", "127.0.0.1");
    conf.set("hadoop.tmp.dir", workDir.resolve("hadoop-tmp").toString());
    cluster = new MiniYARNCluster("ringtrain-mini-yarn", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    // The ResourceManager's address is final only once it has started listening.
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (cluster.getConfig().get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("MiniYARNCluster did not start in 60 s");
      Thread.sleep(100);
    }
    confDir = Files.createDirectories(workDir.resolve("hadoop-conf"));
    try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
      cluster.getConfig().writeXml(out);
    }
  }

  /** For HADOOP_CONF_DIR / YARN_CONF_DIR of a spark-submit. */
  public Path confDir() {
    return confDir;
  }

  /**
   * Runs {@code spark-submit --master yarn --deploy-mode cluster} against this cluster, with
   * {@code args} (--class, resources, the application jar and its arguments) after the settings
   * every test needs: the test class path as local jars and class directories, no dynamic
   * allocation, no UI, one application attempt. Waits for the client, which waits for the
   * application's final status, and returns its exit code; its output goes to {@code log}.
   *
   * @throws AssertionError with the log's tail when it is still running after {@code timeoutSeconds}
   */
  public int submitInClusterMode(Path log, long timeoutSeconds, List<String> args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // spark-submit's launcher puts HADOOP_CONF_DIR on the class path; Configuration reads it from there.
        "-cp", confDir + File.pathSeparator + System.getProperty("java.class.path"),
        "org.apache.spark.deploy.SparkSubmit",
        "--master", "yarn", "--deploy-mode", "cluster",
        "--conf", "spark.yarn.jars=" + localJars(),
        "--conf", "spark.driver.extraClassPath=" + SparkHome.classDirectories(),
        "--conf", "spark.executor.extraClassPath=" + SparkHome.classDirectories(),
        "--conf", "spark.dynamicAllocation.enabled=false",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.yarn.maxAppAttempts=1"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("HADOOP_CONF_DIR", confDir.toString());
    pb.environment().put("YARN_CONF_DIR", confDir.toString());
    Process p = pb.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("spark-submit still running after " + timeoutSeconds + " s:\n" + tail(log));
    }
    return p.exitValue();
  }

  /** Every jar of the test class path as a local: URI: on the (one) node already, nothing to upload. */
  private static String localJars() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> p.endsWith(".jar")).map(p -> "local:" + p).collect(Collectors.joining(","));
  }

  /** spark-submit needs a primary jar; the classes themselves come through extraClassPath. */
  public static Path placeholderAppJar(Path dir) throws IOException {
    Path jar = dir.resolve("placeholder-app.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("META-INF/ringtrain-placeholder"));
      out.closeEntry();
    }
    return jar;
  }

  /**
   * What the ApplicationMaster's container (attempt 1's first container: in cluster mode the
   * driver) wrote to stdout and stderr, the last 60 lines of each, from the NodeManager's log
   * folders: the spark-submit client only reports the application's state.
   */
  public String applicationMasterOutput() throws IOException {
    return containerOutput("_01_000001");
  }

  /** As {@link #applicationMasterOutput}, for every container whose id ends with {@code idSuffix} ("" for all). */
  public String containerOutput(String idSuffix) throws IOException {
    StringBuilder out = new StringBuilder();
    for (String dir : cluster.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
      Path logDir = Path.of(dir);
      if (!Files.isDirectory(logDir)) continue;
      try (var containers = Files.find(logDir, 2, (p, a) -> p.getFileName().toString().startsWith("container_")
          && p.getFileName().toString().endsWith(idSuffix))) {
        for (Path container : containers.sorted().toList()) {
          for (String stream : List.of("stdout", "stderr")) {
            out.append("--- ").append(container.getFileName()).append(' ').append(stream).append(":\n")
                .append(tail(container.resolve(stream))).append('\n');
          }
        }
      }
    }
    return out.length() == 0 ? "(no container logs)" : out.toString();
  }

  /**
   * Each application's final status and diagnostics as the ResourceManager holds them: why YARN
   * says it failed ("Shutdown hook called before final status was reported", "User class threw
   * exception: ..."), which the spark-submit client logs only to its log4j file.
   */
  public String applicationReports() {
    StringBuilder out = new StringBuilder();
    cluster.getResourceManager().getRMContext().getRMApps().values().forEach(app -> out.append(app.getApplicationId())
        .append(' ').append(app.getState()).append(' ').append(app.getFinalApplicationStatus()).append(": ")
        .append(app.getDiagnostics()).append('\n'));
    return out.length() == 0 ? "(no applications)" : out.toString();
  }

  /**
   * "accepted MS" and "am_launched MS" (ms since the epoch) of the last application: when the
   * ResourceManager accepted it and when it launched its ApplicationMaster's container.
   */
  public String applicationTimes() {
    var app = cluster.getResourceManager().getRMContext().getRMApps().values().stream()
        .max(java.util.Comparator.comparing(a -> a.getApplicationId())).orElseThrow();
    return "accepted " + app.getSubmitTime() + "\nam_launched " + app.getLaunchTime() + "\n";
  }

  /** The memory the ResourceManager sees on its nodes, in MB: what it can grant. */
  public long clusterMemoryMb() {
    return cluster.getResourceManager().getResourceScheduler().getClusterResource().getMemorySize();
  }

  /** The last 60 lines of {@code log}, for a failure message. */
  public static String tail(Path log) throws IOException {
    List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of("(no output)");
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  @Override
  public void close() {
    cluster.stop();
  }
}
