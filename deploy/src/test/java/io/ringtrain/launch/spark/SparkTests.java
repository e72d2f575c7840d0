package io.ringtrain.launch.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Spark contexts for tests: on 127.0.0.1, no UI, no console progress bar. */
public final class SparkTests {
  private SparkTests() {}

  public static SparkConf conf(String master, String app) {
    return new SparkConf().setMaster(master).setAppName(app)
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false");
  }

  public static JavaSparkContext context(SparkConf conf) {
    return new JavaSparkContext(conf);
  }
}
