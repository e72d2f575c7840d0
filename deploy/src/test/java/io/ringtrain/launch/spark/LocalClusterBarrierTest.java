package io.ringtrain.launch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/** local-cluster: a Spark master, a worker and two executor JVMs, started from the SPARK_HOME that SparkHome builds. */
@Tag("slow")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LocalClusterBarrierTest {
  /** Each task gathers every task's partition id and reports it with its JVM's pid. */
  static final class GatherPartitionIds extends AbstractFunction1<Iterator<Integer>, Iterator<String>>
      implements Serializable {
    @Override
    public Iterator<String> apply(Iterator<Integer> partition) {
      BarrierTaskContext task = BarrierTaskContext.get();
      String[] all = task.allGather(Integer.toString(task.partitionId()));
      return CollectionConverters.asScala(
          List.of(String.join(",", all) + " in " + ProcessHandle.current().pid()).iterator());
    }
  }

  @Test
  void twoExecutorJvmsGatherEachOthersPartitionIds() throws InterruptedException {
    SparkHome.prepare(true);
    try (JavaSparkContext sc = SparkTests.context(SparkTests.conf("local-cluster[2,1,1024]", "local-cluster-barrier")
        .set("spark.executor.extraClassPath", SparkHome.classDirectories())
        .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13"))) {
      // Before the executors register, Spark's own slot check fails and retries only 15 s later.
      TaskSlots.awaitFree(sc.sc(), 2, Duration.ofSeconds(60));
      List<String> out = sc.parallelize(List.of(0, 1), 2).rdd().barrier()
          .mapPartitions(new GatherPartitionIds(), false, ClassTag$.MODULE$.apply(String.class)).toJavaRDD().collect();
      assertEquals(2, out.size());
      String pid0 = out.get(0).split(" in ")[1];
      String pid1 = out.get(1).split(" in ")[1];
      assertEquals("0,1", out.get(0).split(" in ")[0]);
      assertEquals("0,1", out.get(1).split(" in ")[0]);
      assertNotEquals(pid0, pid1, "both tasks ran in one executor: " + out);
      assertNotEquals(Long.toString(ProcessHandle.current().pid()), pid0, "a task ran in the driver: " + out);
    }
  }
}
