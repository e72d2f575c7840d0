package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.spark.MiniYarn;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real job through YARN's cluster mode: spark-submit starts the driver, and so the
 * coordinator, in the ApplicationMaster's container of a MiniYARNCluster, the two workers run in
 * executor containers, and the result is bit for bit the one `simulate` gives. One cluster for
 * all tests: starting one costs about 15 s.
 */
@Tag("slow")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MiniYarnSubmitTest {
  static final long STEPS = 30;
  @TempDir static Path tmp;
  static MiniYarn yarn;

  @BeforeAll
  static void start() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 300, "--vocab-size", "300");
    yarn = new MiniYarn(tmp);
  }

  @AfterAll
  static void stop() {
    if (yarn != null) yarn.close();
  }

  /** The tiny job; local paths work because the containers run on this machine. */
  static List<String> job(String out) {
    return new ArrayList<>(List.of("--workers", "2", "--data", tmp.resolve("data").toString(),
        "--out", tmp.resolve(out).toString(), "--layers", "1", "--heads", "2", "--width", "32", "--context", "32",
        "--batch", "2", "--steps", Long.toString(STEPS), "--threads", "1", "--seed", "5", "--eval-interval", "0",
        "--checkpoint-every", "10"));
  }

  /** spark-submit's options and the ringtrain command after them: `submit --master spark` and the tiny job. */
  static List<String> submit(int executors, String out) throws Exception {
    List<String> args = submitCommand(executors, "768m", tmp, List.of());
    args.addAll(job(out));
    return args;
  }

  /**
   * spark-submit's options for {@code executors} executors of one core and {@code executorMemory}
   * each, {@code extra} options after them, the placeholder application jar (written to
   * {@code dir}) and `submit --master spark`: the job's flags come next.
   */
  static List<String> submitCommand(int executors, String executorMemory, Path dir, List<String> extra)
      throws java.io.IOException {
    List<String> args = new ArrayList<>(List.of("--class", RingtrainCommand.class.getName(),
        "--num-executors", Integer.toString(executors), "--executor-cores", "1", "--executor-memory", executorMemory,
        "--driver-memory", "768m",
        // The driver runs the coordinator, the executors the workers' kernels: both need the Vector API.
        // SubmitCommand sets the executors' default itself; the AM's JVM options must come from here.
        "--conf", "spark.driver.extraJavaOptions=--add-modules jdk.incubator.vector"));
    args.addAll(extra);
    args.addAll(List.of(MiniYarn.placeholderAppJar(dir).toString(), "submit", "--master", "spark"));
    return args;
  }

  @Test
  void clusterModeSubmitTrainsExactlyWhatSimulateTrains() throws Exception {
    List<String> simulate = new ArrayList<>(List.of("simulate"));
    simulate.addAll(job("simulated"));
    Cli.Result simulated = Cli.run(simulate.toArray(String[]::new));
    assertEquals(0, simulated.code(), simulated.all());

    Path log = tmp.resolve("spark-submit-yarn.log");
    int exit = yarn.submitInClusterMode(log, 240, submit(2, "yarn"));
    String driverOutput = yarn.applicationMasterOutput();
    assertEquals(0, exit, MiniYarn.tail(log) + "\n" + yarn.applicationReports()
        + "--- the ApplicationMaster's output:\n" + driverOutput);
    // An application can finish "successfully" in cluster mode after failing: check what it wrote.
    Map<Long, Double> expected = RecoveryTest.trainLosses(tmp.resolve("simulated").toString());
    Map<Long, Double> actual = RecoveryTest.trainLosses(tmp.resolve("yarn").toString());
    assertEquals(STEPS, expected.size(), "simulate's train records");
    assertEquals(expected, actual, "losses per step\n--- the ApplicationMaster's output:\n" + driverOutput);
    assertEquals(RecoveryTest.digestsAt(tmp.resolve("simulated").toString(), STEPS),
        RecoveryTest.digestsAt(tmp.resolve("yarn").toString(), STEPS), "final parameters and AdamW moments");
  }

  /**
   * Executors that YARN can never all place (last session's model M on the 4 GB node MiniYARNCluster
   * made of its settings): the job fails after the slot wait and names the container's size and
   * the limits to check, since YARN keeps such a request pending without a word.
   */
  @Test
  void executorsTheNodeCannotHoldFailNamingTheContainerSize() throws Exception {
    Path log = tmp.resolve("spark-submit-too-big.log");
    // 4 GB + 10 % overhead each: one fits beside the ApplicationMaster on the node, two never do.
    List<String> args = submitCommand(2, "4g", tmp, List.of("--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=2s"));
    args.addAll(job("too-big"));
    args.addAll(List.of("--slot-wait-seconds", "10"));
    int exit = yarn.submitInClusterMode(log, 180, args);
    String driverOutput = yarn.applicationMasterOutput();
    String context = MiniYarn.tail(log) + "\n" + yarn.applicationReports() + "--- the ApplicationMaster's output:\n"
        + driverOutput;
    assertNotEquals(0, exit, context);
    assertTrue(driverOutput.matches("(?s).*only [01] of the spark\\.executor\\.instances=2 executors registered.*"
        + "spark\\.executor\\.memory=4g plus spark\\.executor\\.memoryOverhead.*"), context);
  }

  /** The other half of main's contract in the AM: a failed command must not end "SUCCEEDED". */
  @Test
  void aJobRefusedInsideTheApplicationMasterEndsTheApplicationFailed() throws Exception {
    Path log = tmp.resolve("spark-submit-refused.log");
    // Two workers on one executor of one core: SubmitCommand refuses it with exit 2, after the SparkContext started.
    int exit = yarn.submitInClusterMode(log, 180, submit(1, "refused"));
    String reports = yarn.applicationReports();
    String driverOutput = yarn.applicationMasterOutput();
    String context = MiniYarn.tail(log) + "\n" + reports + "--- the ApplicationMaster's output:\n" + driverOutput;
    assertNotEquals(0, exit, context);
    assertTrue(reports.contains("FAILED: User class threw exception")
        && reports.contains("ringtrain submit exited with status 2"), context);
    assertTrue(driverOutput.contains("task slots at once"), context);
  }
}
