package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import io.ringtrain.worker.ChildJvm;
import io.ringtrain.worker.WorkerHosts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `simulate` on a cluster of four hosts, each a network namespace with its own address and a
 * 1 Gbit/s link (bench/cluster-netns.sh), the coordinator on a fifth: the same losses as on
 * 127.0.0.1, and a link put down mid-run is detected within the failure timeout and recovered
 * from, or, with no restarts left, ends the job naming the worker. Needs root and network
 * namespaces; elsewhere it is skipped with the reason, and the namespaces go in every case.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class NetnsClusterTest {
  static final int WORKERS = 4;
  static final long STEPS = 40;
  /**
   * Also the coordinator's deadline for a worker's authenticated join (at least 5 s): at a load
   * average of 40 on this machine's two cores, four worker JVMs starting at once missed 5 s.
   */
  static final int FAILURE_TIMEOUT_MS = 8000;
  /** The host whose link goes down: neither end of the ring's first hop. */
  static final int VICTIM = 2;
  static final String NAME = "t" + ProcessHandle.current().pid() % 100_000_000;
  static final Path SCRIPT = Path.of(System.getProperty("ringtrain.root", "..")).resolve("bench/cluster-netns.sh");
  static final Thread TEARDOWN = new Thread(NetnsClusterTest::down, "netns-teardown");
  @TempDir static Path tmp;
  static final Map<String, String> cluster = new HashMap<>();
  static String reference;

  record Shell(int code, String out) {}

  @BeforeAll
  static void cluster() throws Exception {
    Runtime.getRuntime().addShutdownHook(TEARDOWN); // a test JVM stopped mid-run leaves no namespace
    Shell up = script("up", "--name", NAME, "--hosts", Integer.toString(WORKERS), "--rate", "1gbit");
    assumeTrue(up.code() != 3, "no cluster of network namespaces on this machine: " + up.out().strip());
    assertEquals(0, up.code(), up.out());
    Shell env = script("env", "--name", NAME);
    assertEquals(0, env.code(), env.out());
    for (String line : env.out().strip().split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) cluster.put(line.substring(0, eq), line.substring(eq + 1).replace("'", ""));
    }
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
    Cli.Result r = Cli.run(job("loopback"));
    assertEquals(0, r.code(), r.all());
    reference = tmp.resolve("loopback").toString();
  }

  @AfterAll
  static void teardown() {
    down();
    Runtime.getRuntime().removeShutdownHook(TEARDOWN);
  }

  @Test
  void fourWorkersOnFourHostsTrainAsOnLoopback() throws Exception {
    Path log = tmp.resolve("hosts.log");
    Process launcher = launcher("hosts", log);
    try {
      awaitStep(launcher, "hosts", log, 3);
      for (int i = 0; i < WORKERS; i++) {
        // One JVM in each host: the worker of rank i, started there by `ip netns exec`.
        assertEquals(1, pids(host(i)).size(), "processes in " + host(i) + ": " + pids(host(i)));
      }
      assertTrue(pids(cluster.get("NETNS_COORD")).contains(launcher.pid()), "the coordinator runs in its own host");
      assertTrue(launcher.waitFor(300, TimeUnit.SECONDS), "the job finished");
    } finally {
      launcher.destroyForcibly();
    }
    String text = Files.readString(log);
    assertEquals(0, launcher.exitValue(), text);
    assertTrue(text.contains("coordinator on " + cluster.get("NETNS_COORD_ADDR") + ":"), text);
    assertEquals(RecoveryTest.trainLosses(reference), RecoveryTest.trainLosses(tmp.resolve("hosts").toString()),
        "losses per step on four hosts against 127.0.0.1");
  }

  @Test
  void aLinkPutDownMidRunIsDetectedWithinTheFailureTimeoutAndTheJobRecovers() throws Exception {
    Path log = tmp.resolve("link-down.log");
    Process launcher = launcher("link-down", log);
    long downAt;
    try {
      awaitStep(launcher, "link-down", log, 12);
      downAt = System.currentTimeMillis();
      link(VICTIM, "down");
      awaitLog(log, "generation 0 failed", FAILURE_TIMEOUT_MS + 20_000);
      link(VICTIM, "up"); // a link that flapped: the next generation's worker on that host reaches the others
      assertTrue(launcher.waitFor(300, TimeUnit.SECONDS), "the job finished");
    } finally {
      link(VICTIM, "up");
      launcher.destroyForcibly();
    }
    String text = Files.readString(log);
    assertEquals(0, launcher.exitValue(), text);
    assertTrue(text.contains("recovered: generation 1"), text);
    List<JsonObject> recoveries = RecoveryTest.recoveries(tmp.resolve("link-down"));
    assertEquals(1, recoveries.size(), text);
    long detectMs = recoveries.get(0).get("detected_unix_ms").getAsLong() - downAt;
    System.out.println("link of host " + VICTIM + " down: detected after " + detectMs + " ms");
    assertTrue(detectMs <= FAILURE_TIMEOUT_MS + 2000, "detected " + detectMs + " ms after the link went down");
    assertEquals(RecoveryTest.trainLosses(reference), RecoveryTest.trainLosses(tmp.resolve("link-down").toString()),
        "the recovered run's losses against 127.0.0.1's uninterrupted one");
  }

  @Test
  void aLinkDownWithNoRestartsLeftStopsTheJobNamingTheWorker() throws Exception {
    Path log = tmp.resolve("no-restarts.log");
    Process launcher = launcher("no-restarts", log, "--max-restarts", "0");
    long downAt;
    try {
      awaitStep(launcher, "no-restarts", log, 8);
      downAt = System.nanoTime();
      link(VICTIM, "down");
      assertTrue(launcher.waitFor(FAILURE_TIMEOUT_MS + 30_000, TimeUnit.MILLISECONDS), "the job stopped");
    } finally {
      link(VICTIM, "up");
      launcher.destroyForcibly();
    }
    long ms = (System.nanoTime() - downAt) / 1_000_000;
    String text = Files.readString(log);
    System.out.println("link of host " + VICTIM + " down, no restarts: the job stopped after " + ms + " ms");
    assertNotEquals(0, launcher.exitValue(), text);
    String victim = "worker rank " + VICTIM + " (pid ";
    assertTrue(text.contains(victim) && text.contains(addresses()[VICTIM]), "names " + victim + ": " + text);
    for (int i = 0; i < WORKERS; i++) assertTrue(pids(host(i)).isEmpty(), "left in " + host(i) + ": " + pids(host(i)));
  }

  /** A tiny model, a checkpoint every 10 steps, heartbeats every 200 ms. */
  static String[] job(String out) {
    return new String[] {"simulate", "--workers", Integer.toString(WORKERS), "--data", tmp.resolve("data").toString(),
        "--out", tmp.resolve(out).toString(), "--layers", "2", "--heads", "2", "--width", "64", "--context", "64",
        "--batch", "2", "--steps", Long.toString(STEPS), "--threads", "1", "--seed", "5", "--eval-interval", "0",
        "--log-interval", "10", "--checkpoint-every", "10", "--keep-last", "2", "--heartbeat-ms", "200",
        "--failure-timeout-ms", Integer.toString(FAILURE_TIMEOUT_MS)};
  }

  /** `simulate` in the coordinator's host, its workers in the cluster's hosts; output to {@code log}. */
  static Process launcher(String out, Path log, String... more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", cluster.get("NETNS_COORD")));
    cmd.addAll(ChildJvm.command(RingtrainCommand.class, job(out)));
    cmd.addAll(List.of("--coordinator-host", cluster.get("NETNS_COORD_ADDR")));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(WorkerHosts.ENV, cluster.get(WorkerHosts.ENV));
    return pb.start();
  }

  static String host(int i) {
    return cluster.get("NETNS_HOSTS").split(" ")[i];
  }

  static String[] addresses() {
    return cluster.get("NETNS_ADDRS").split(" ");
  }

  static void link(int host, String state) throws Exception {
    Shell r = run(List.of("ip", "-n", host(host), "link", "set", "eth0", state));
    assertEquals(0, r.code(), r.out());
  }

  static List<Long> pids(String netns) throws Exception {
    Shell r = run(List.of("ip", "netns", "pids", netns));
    assertEquals(0, r.code(), r.out());
    return Arrays.stream(r.out().split("\\s+")).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
  }

  /** Until the job's metrics reach {@code step}; fails at once, with the job's output, if it ended first. */
  static void awaitStep(Process launcher, String out, Path log, long step) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (RecoveryTest.trainLosses(tmp.resolve(out).toString()).keySet().stream().noneMatch(s -> s >= step)) {
      assertTrue(launcher.isAlive(), "the job ended before step " + step + ": " + Files.readString(log));
      assertTrue(System.nanoTime() < deadline, "the job never reached step " + step + ": " + Files.readString(log));
      Thread.sleep(50);
    }
  }

  static void awaitLog(Path log, String text, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!Files.readString(log).contains(text)) {
      assertTrue(System.nanoTime() < deadline, "no '" + text + "' within " + timeoutMs + " ms: " + Files.readString(log));
      Thread.sleep(50);
    }
  }

  static void down() {
    try {
      Shell r = script("down", "--name", NAME);
      if (r.code() != 0) System.err.println("cluster-netns down: " + r.out());
    } catch (Exception e) {
      System.err.println("cluster-netns down failed: " + e);
    }
  }

  static Shell script(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    return run(cmd);
  }

  static Shell run(List<String> cmd) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException noSuchCommand) {
      return new Shell(3, cmd.get(0) + " cannot run here: " + noSuchCommand.getMessage());
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Shell(-1, "timed out: " + String.join(" ", cmd) + "\n" + out);
    }
    return new Shell(p.exitValue(), out);
  }
}
