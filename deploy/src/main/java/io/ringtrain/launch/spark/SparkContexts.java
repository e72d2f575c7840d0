package io.ringtrain.launch.spark;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** The SparkContext of a ringtrain command: a checked master URL, no console progress bar. */
public final class SparkContexts {
  /** The masters Spark accepts, spelled as its SparkContext parses them. */
  private static final Pattern MASTER = Pattern.compile(
      "local|local\\[(\\d+|\\*)(,\\d+)?]|local-cluster\\[\\d+,\\d+,\\d+]|spark://.+|yarn|k8s://.+");
  private static final Pattern LOCAL = Pattern.compile("local(\\[.*])?");

  private SparkContexts() {}

  /** Fails with what to do when Spark is not on the class path (it is `provided`: the cluster's). */
  public static void requireSpark(String option) {
    try {
      Class.forName("org.apache.spark.SparkContext");
    } catch (ClassNotFoundException e) {
      throw new UserFacingFailure(ExitCodes.IO_ERROR, option + " needs Spark on the class path: run ringtrain"
          + " through bin/ringtrain (a build puts Spark in deploy/target/spark-lib) or through spark-submit with the"
          + " application jar (deploy/target/ringtrain-deploy-*-spark.jar), see docs/cluster.md");
    }
  }

  /**
   * Starts a context for {@code master}, or, when {@code master} is null, for the master that
   * spark-submit put in the configuration.
   *
   * @throws UserFacingFailure (exit code 2) for a master URL Spark does not know
   */
  public static JavaSparkContext open(String master, String appName) {
    return open(master, appName, java.util.Map.of());
  }

  /** As {@link #open(String, String)}, with {@code settings} (spark-submit's --conf) on top. */
  public static JavaSparkContext open(String master, String appName, java.util.Map<String, String> settings) {
    SparkConf conf = new SparkConf().setAppName(appName).set("spark.ui.showConsoleProgress", "false");
    settings.forEach(conf::set);
    if (master != null) {
      if (!MASTER.matcher(master).matches()) {
        throw new UserFacingFailure(ExitCodes.BAD_INPUT, "--master " + master + " is not a Spark master URL: use"
            + " local[N], local-cluster[executors,cores,MB], spark://host:port, yarn or k8s://host:port");
      }
      conf.setMaster(master);
    }
    if (LOCAL.matcher(conf.get("spark.master", "")).matches()) {
      // Everything runs in this JVM: stay off the network, whatever the host name resolves to.
      conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    return new JavaSparkContext(conf);
  }
}
