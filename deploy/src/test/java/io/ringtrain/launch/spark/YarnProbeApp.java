package io.ringtrain.launch.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import scala.reflect.ClassTag$;

/**
 * The application MiniYarnClusterTest submits: a barrier stage of two tasks that allGather their
 * partition ids; the driver writes what they returned to the file named by its argument.
 */
public final class YarnProbeApp {
  private YarnProbeApp() {}

  public static void main(String[] args) throws Exception {
    try (JavaSparkContext sc = new JavaSparkContext(new org.apache.spark.SparkConf().setAppName("yarn-probe"))) {
      TaskSlots.awaitFree(sc.sc(), 2, java.time.Duration.ofSeconds(60));
      List<String> out = sc.parallelize(List.of(0, 1), 2).rdd().barrier()
          .mapPartitions(new LocalClusterBarrierTest.GatherPartitionIds(), false, ClassTag$.MODULE$.apply(String.class))
          .toJavaRDD().collect();
      Files.writeString(Path.of(args[0]), String.join("\n", out) + "\n", StandardCharsets.UTF_8);
    }
  }
}
