package io.ringtrain.launch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.worker.WorkerContext;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The barrier launcher's refusals, on a real local Spark. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SparkWorkersTest {
  private static final WorkerContext TEMPLATE = new WorkerContext(0, 0, "127.0.0.1", 1, "job", "s3cret", "127.0.0.1");

  @Test
  void dynamicAllocationIsRefusedWithWhatToDo() {
    try (JavaSparkContext sc = SparkTests.context(SparkTests.conf("local[2]", "dyn")
        .set("spark.dynamicAllocation.enabled", "true"))) {
      UserFacingFailure e = assertThrows(UserFacingFailure.class,
          () -> new SparkWorkers(sc, 2, TEMPLATE, Duration.ofSeconds(1)));
      assertEquals(ExitCodes.BAD_INPUT, e.exitCode());
      assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=false"), e.getMessage());
    }
  }

  @Test
  void tooFewSlotsFailWithinTheWaitNamingTheNumbers() throws Exception {
    try (JavaSparkContext sc = SparkTests.context(SparkTests.conf("local[1]", "slots"))) {
      SparkWorkers workers = new SparkWorkers(sc, 2, TEMPLATE, Duration.ofSeconds(1));
      long start = System.nanoTime();
      ExecutionException e = assertThrows(ExecutionException.class, () -> workers.launch(0).get(30, TimeUnit.SECONDS));
      double secs = (System.nanoTime() - start) / 1e9;
      UserFacingFailure f = assertInstanceOf(UserFacingFailure.class, e.getCause());
      assertEquals(ExitCodes.IO_ERROR, f.exitCode());
      assertTrue(f.getMessage().contains("need 2 task slots") && f.getMessage().contains("offers 1 free"),
          f.getMessage());
      assertTrue(secs < 10, "took " + secs + " s");
    }
  }
}
