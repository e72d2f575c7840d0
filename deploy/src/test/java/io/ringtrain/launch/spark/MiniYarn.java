package io.ringtrain.launch.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * Hadoop's MiniYARNCluster (one ResourceManager, one NodeManager) configured as Spark's own
 * BaseYarnClusterSuite configures it, with its configuration written to a folder that
 * spark-submit reads as HADOOP_CONF_DIR.
 */
public final class MiniYarn implements AutoCloseable {
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
    conf.setInt("yarn.nodemanager.resource.memory-mb", 6144);
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

  @Override
  public void close() {
    cluster.stop();
  }
}
