package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.proto.CheckpointFile;
import io.ringtrain.worker.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Recovery under real faults: worker JVMs killed with SIGKILL or frozen with SIGSTOP mid-run, the
 * launcher itself killed. Every run must end with exactly the parameters, AdamW moments and losses
 * of the same run never interrupted, and leave no worker JVM behind.
 */
@Tag("slow")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class RecoveryTest {
  static final long STEPS = 120;
  @TempDir static Path tmp;
  static final Map<Integer, String> reference = new HashMap<>();

  @BeforeAll
  static void tokenize() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
  }

  static String[] job(String out, int workers, String... more) {
    return job(out, workers, STEPS, more);
  }

  static String[] job(String out, int workers, long steps, String... more) {
    List<String> args = new ArrayList<>(List.of("simulate", "--workers", Integer.toString(workers), "--data",
        tmp.resolve("data").toString(), "--out", tmp.resolve(out).toString(), "--layers", "2", "--heads", "2",
        "--width", "64", "--context", "64", "--batch", Integer.toString(8 / workers), "--steps", Long.toString(steps),
        "--threads", "1", "--seed", "5", "--eval-interval", "40", "--eval-batches", "2", "--log-interval", "20",
        "--checkpoint-every", "10", "--keep-last", "2", "--heartbeat-ms", "200", "--failure-timeout-ms", "3000"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** The uninterrupted run of {@code workers} workers, trained once per test class. */
  static synchronized String reference(int workers) {
    return reference.computeIfAbsent(workers, n -> {
      Cli.Result r = Cli.run(job("reference-" + n, n));
      assertEquals(0, r.code(), r.all());
      return tmp.resolve("reference-" + n).toString();
    });
  }

  @ParameterizedTest(name = "{0} workers")
  @ValueSource(ints = {2, 4})
  void aWorkerKilledAtARandomStepIsReplacedAndTheRunEndsExactlyAsUninterrupted(int workers) throws Exception {
    String ref = reference(workers);
    long seed = 20261201L + workers;
    Random random = new Random(seed);
    long killAt = 15 + random.nextInt(50);
    String out = "killed-" + workers;
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(job(out, workers)));
    awaitStep(out, killAt);
    List<ProcessHandle> live = LocalClusterTest.workerProcesses();
    assertEquals(workers, live.size(), "worker JVMs: " + live);
    ProcessHandle victim = live.get(random.nextInt(workers));
    System.out.println("seed " + seed + ": SIGKILL worker pid " + victim.pid() + " at step " + killAt);
    long killedAt = System.currentTimeMillis();
    victim.destroyForcibly();
    Cli.Result r = run.get(300, TimeUnit.SECONDS);
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("generation 0 failed:") && r.out().contains("recovered: generation 1"), r.out());
    assertSameRun(ref, out);
    JsonObject recovery = recoveries(out).get(0);
    long detectMs = recovery.get("detected_unix_ms").getAsLong() - killedAt;
    System.out.printf("recovery of %d workers: detected %d ms after SIGKILL, %.1f s to the first step after it,"
            + " %d steps lost%n", workers, detectMs, recovery.get("seconds_to_recover").getAsDouble(),
        recovery.get("steps_lost").getAsLong());
    assertTrue(detectMs < 3000, "detected " + detectMs + " ms after the kill");
    assertRecoveredFromAPeerReplacingOnlyTheLostRank(r, recovery);
    assertNoWorkersLeft();
  }

  /**
   * The survivors rejoined with their state, one of them handed it to the only new worker, and at
   * most the step in flight was lost.
   */
  static void assertRecoveredFromAPeerReplacingOnlyTheLostRank(Cli.Result r, JsonObject recovery) {
    assertTrue(recovery.get("restored_from").getAsString().startsWith("peer rank"), recovery + "\n" + r.all());
    assertTrue(recovery.get("steps_lost").getAsLong() <= 1, recovery + "\n" + r.all());
    assertTrue(r.out().matches("(?s).*generation 1: starting workers for rank \\d+\n.*"), r.out());
  }

  @ParameterizedTest(name = "{0} workers")
  @ValueSource(ints = {2, 4})
  void aWorkerFrozenPastTheFailureTimeoutIsReplaced(int workers) throws Exception {
    String ref = reference(workers);
    String out = "stopped-" + workers;
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(job(out, workers)));
    awaitStep(out, 30);
    ProcessHandle victim = LocalClusterTest.workerProcesses().get(1);
    signal("STOP", victim);
    Cli.Result r = run.get(300, TimeUnit.SECONDS);
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().matches("(?s).*generation 0 failed: .*(presumed dead or stalled|sent nothing|peer stalled).*"), r.out());
    assertSameRun(ref, out);
    assertRecoveredFromAPeerReplacingOnlyTheLostRank(r, recoveries(out).get(0));
    assertTrue(victim.onExit().get(10, TimeUnit.SECONDS) != null, "the frozen worker was killed");
    assertNoWorkersLeft();
  }

  @Test
  void threeKillsInOneRunStillEndExactlyAndOneMoreEndsTheJobNamingEveryCause() throws Exception {
    String ref = reference(2);
    Cli.Result r = runKillingOneAt("thrice", 20, 45, 70);
    assertEquals(0, r.code(), r.all());
    assertEquals(3, recoveries("thrice").size(), r.out());
    assertSameRun(ref, "thrice");

    Cli.Result f = runKillingOneAt("too-often", 20, 45, 70, "--max-restarts", "2");
    assertEquals(1, f.code(), f.all());
    for (int g = 0; g <= 2; g++) assertTrue(f.err().contains("generation " + g + ": "), f.err());
    assertTrue(f.err().contains("gave up after 2 restarts"), f.err());
    assertNoWorkersLeft();
  }

  /** Runs a 2-worker job and SIGKILLs one of its workers at each of the three steps. */
  private static Cli.Result runKillingOneAt(String out, long a, long b, long c, String... more) throws Exception {
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(job(out, 2, more)));
    for (long at : new long[] {a, b, c}) {
      awaitStep(out, at);
      ProcessHandle victim = LocalClusterTest.workerProcesses().get(0);
      victim.destroyForcibly();
      victim.onExit().get(10, TimeUnit.SECONDS);
    }
    return run.get(300, TimeUnit.SECONDS);
  }

  /** `ringtrain simulate` as a process of its own, as a user runs it; its output goes to {@code log}. */
  static Process launcher(String out, Path log, int workers, long steps) throws IOException {
    List<String> cmd = ChildJvm.command(RingtrainCommand.class, job(out, workers, steps));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @ParameterizedTest(name = "{0} workers")
  @ValueSource(ints = {2, 4})
  void aKilledLauncherTakesItsWorkersWithItAndResumeEndsExactly(int n) throws Exception {
    String ref = reference(n);
    String out = "launcher-killed-" + n;
    Process launcher = launcher(out, tmp.resolve(out + ".log"), n, STEPS);
    List<ProcessHandle> workers;
    long killed;
    try {
      awaitStep(out, 40);
      workers = LocalClusterTest.workerProcesses().stream().filter(p -> p.parent().map(
          x -> x.pid() == launcher.pid()).orElse(false)).toList();
      assertEquals(n, workers.size(), "worker JVMs: " + workers);
    } finally {
      launcher.destroyForcibly(); // SIGKILL: no shutdown hook runs
      killed = System.nanoTime();
    }
    for (ProcessHandle w : workers) w.onExit().get(10, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - killed) / 1_000_000;
    System.out.println("the workers exited " + ms + " ms after their launcher was killed");
    assertTrue(ms < 5000, ms + " ms");
    Cli.Result r = Cli.run("resume", tmp.resolve(out).toString());
    assertEquals(0, r.code(), r.all());
    assertSameRun(ref, out);
  }

  @Test
  void aPausedLauncherSaysItWasItselfAndTheJobRecovers() throws Exception {
    // Long enough that the workers, training on without it, give up on the paused coordinator.
    long steps = 3000;
    String out = "launcher-paused";
    Path log = tmp.resolve(out + ".log");
    Process launcher = launcher(out, log, 2, steps);
    try {
      awaitStep(out, 30);
      signal("STOP", launcher.toHandle());
      Thread.sleep(5_000); // past the workers' 3 s failure timeout
      signal("CONT", launcher.toHandle());
      assertTrue(launcher.waitFor(300, TimeUnit.SECONDS), "the launcher finished");
    } finally {
      launcher.destroyForcibly();
    }
    String text = Files.readString(log);
    assertEquals(0, launcher.exitValue(), text);
    assertTrue(text.contains("this coordinator itself was paused"), text);
    assertTrue(!text.matches("(?s).*MFU \\d{3,}.*"), "no rate from the stale interval: " + text);
    assertEquals(steps, trainLosses(tmp.resolve(out).toString()).size(), "every step once");
    assertNoWorkersLeft();
  }

  /** Waits until metrics.jsonl holds a train record at {@code step} or later. */
  static void awaitStep(String out, long step) throws Exception {
    awaitStep(tmp.resolve(out), step);
  }

  static void awaitStep(Path runDir, long step) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (trainLosses(runDir.toString()).keySet().stream().noneMatch(s -> s >= step)) {
      assertTrue(System.nanoTime() < deadline, "the job never reached step " + step);
      Thread.sleep(20);
    }
  }

  static void signal(String signal, ProcessHandle p) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
  }

  static void assertNoWorkersLeft() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!LocalClusterTest.workerProcesses().isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
    assertTrue(LocalClusterTest.workerProcesses().isEmpty(), "orphan workers: " + LocalClusterTest.workerProcesses());
  }

  /** Same losses at every step, each step once, and the same final parameters and moments, bit for bit. */
  static void assertSameRun(String expected, String actualOut) throws IOException {
    String actual = tmp.resolve(actualOut).toString();
    Map<Long, Double> a = trainLosses(expected);
    Map<Long, Double> b = trainLosses(actual);
    assertEquals(STEPS, a.size());
    assertEquals(a, b, "losses per step");
    assertEquals(digestsAt(expected, STEPS), digestsAt(actual, STEPS), "final parameters and AdamW moments");
  }

  /** step -> loss of the train records; fails on a step recorded twice. */
  static Map<Long, Double> trainLosses(String runDir) throws IOException {
    Map<Long, Double> l = new TreeMap<>();
    java.nio.file.Path file = java.nio.file.Path.of(runDir, "metrics.jsonl");
    if (!Files.exists(file)) return l;
    for (JsonObject o : MetricsLog.read(localFs(), new org.apache.hadoop.fs.Path(file.toString()))) {
      if (!o.get("type").getAsString().equals("train")) continue;
      Double was = l.put(o.get("step").getAsLong(), o.get("loss").getAsDouble());
      assertTrue(was == null, "step " + o.get("step") + " recorded twice in " + file);
    }
    return l;
  }

  static List<JsonObject> recoveries(String out) throws IOException {
    return recoveries(tmp.resolve(out));
  }

  static List<JsonObject> recoveries(Path runDir) throws IOException {
    return MetricsLog.read(localFs(), new org.apache.hadoop.fs.Path(runDir.resolve("metrics.jsonl").toString()))
        .stream().filter(o -> o.get("type").getAsString().equals("recovery")).toList();
  }

  /** The SHA-256 of each tensor of the checkpoint at {@code step}: parameters and both moments. */
  static List<String> digestsAt(String runDir, long step) throws IOException {
    FileSystem fs = localFs();
    org.apache.hadoop.fs.Path last = new org.apache.hadoop.fs.Path(runDir, "checkpoints/" + step);
    return Stream.of(Checkpoints.load(fs, last).manifest().getFilesList().toArray(CheckpointFile[]::new))
        .map(f -> f.getName() + " " + f.getSha256()).toList();
  }

  static FileSystem localFs() throws IOException {
    return FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
  }
}
