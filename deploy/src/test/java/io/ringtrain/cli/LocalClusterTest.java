package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** `simulate`: real worker JVMs, a real ring on 127.0.0.1, a real coordinator. */
@Tag("slow")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LocalClusterTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void tokenize() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
  }

  static String[] job(String command, String out, int batch, long steps, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of(command, "--data", tmp.resolve("data").toString(), "--out",
        tmp.resolve(out).toString(), "--layers", "2", "--heads", "2", "--width", "32", "--context", "32", "--batch",
        Integer.toString(batch), "--steps", Long.toString(steps), "--threads", "1", "--seed", "11",
        "--eval-interval", "3", "--eval-batches", "2", "--log-interval", "1"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @ParameterizedTest(name = "{0} workers")
  @ValueSource(ints = {2, 4})
  void workersWithBatchBMatchOneProcessWithBatchNB(int workers) throws Exception {
    int global = 8;
    Cli.Result one = Cli.run(job("train", "one-" + workers, global, 6));
    assertEquals(0, one.code(), one.all());
    String[] sim = job("simulate", "sim-" + workers, global / workers, 6);
    String[] withWorkers = java.util.stream.Stream.concat(java.util.Arrays.stream(sim),
        java.util.stream.Stream.of("--workers", Integer.toString(workers))).toArray(String[]::new);
    Cli.Result many = Cli.run(withWorkers);
    // The coordinator also checks every step that all ranks hold bit-identical parameters.
    assertEquals(0, many.code(), many.all());
    List<Double> a = PipelineTest.losses(tmp.resolve("one-" + workers).toString());
    List<Double> b = PipelineTest.losses(tmp.resolve("sim-" + workers).toString());
    assertEquals(6, a.size());
    assertEquals(6, b.size());
    for (int i = 0; i < 6; i++) {
      assertEquals(a.get(i), b.get(i), 1e-5 * a.get(i), "step " + (i + 1) + ": " + a + " vs " + b);
    }
  }

  /**
   * bf16 on the wire against fp32 on the wire, both on two workers: the coordinator's per-step
   * digest check (the run exits 0) proves every rank holds the same parameters. fp32 runs are
   * deterministic, so every difference is bf16's. Tolerance: with two workers each gradient
   * element is off by at most 2 * 2^-8 (two roundings), and AdamW's update by about as much; the
   * loss falls by about 0.2 over these 10 steps, so even with every error in the same direction it
   * moves by under 1% of that, 0.002, or 4e-4 of a loss of 5.5: 1e-3 leaves room. (Seen: 4e-6.)
   */
  @Test
  void bf16OnTheWireTrainsCloseToFp32AndIdenticallyOnEveryRank() throws Exception {
    int steps = 10;
    List<List<Double>> losses = new java.util.ArrayList<>();
    for (String dtype : List.of("fp32", "bf16")) {
      String[] sim = job("simulate", "wire-" + dtype, 4, steps);
      Cli.Result r = Cli.run(java.util.stream.Stream.concat(java.util.Arrays.stream(sim),
          java.util.stream.Stream.of("--workers", "2", "--wire-dtype", dtype)).toArray(String[]::new));
      assertEquals(0, r.code(), r.all());
      String spec = Files.readString(tmp.resolve("wire-" + dtype).resolve("spec.json"));
      assertTrue(spec.contains("\"wire_dtype\": \"" + dtype + "\""), spec);
      losses.add(PipelineTest.losses(tmp.resolve("wire-" + dtype).toString()));
    }
    List<Double> fp32 = losses.get(0);
    List<Double> bf16 = losses.get(1);
    assertEquals(steps, bf16.size());
    assertEquals(fp32.get(0), bf16.get(0), "step 1's loss comes before any all-reduce");
    double worst = 0;
    for (int i = 0; i < steps; i++) {
      worst = Math.max(worst, Math.abs(bf16.get(i) - fp32.get(i)) / fp32.get(i));
    }
    assertTrue(worst < 1e-3, "bf16 losses " + bf16 + " stray from fp32's " + fp32);
    assertTrue(worst > 0, "bf16 on the wire changed nothing: " + bf16);
  }

  /**
   * The worker JVMs the launcher started: this test JVM's java descendants. (Not matched on the
   * command line: Linux may report a command line as long as a test classpath as empty.)
   */
  static List<ProcessHandle> workerProcesses() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().orElse("").endsWith("/java")).toList();
  }

  @Test
  void killedWorkerStopsTheJobWithinTheTimeoutAndLeavesNoOrphans() throws Exception {
    String[] sim = job("simulate", "killed", 2, 100_000, "--workers", "2", "--max-restarts", "0", "--heartbeat-ms", "300",
        "--failure-timeout-ms", "3000");
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> Cli.run(sim));
    Path metrics = tmp.resolve("killed/metrics.jsonl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(Files.exists(metrics) && Files.readString(metrics).contains("\"step\":2,"))) {
      assertTrue(System.nanoTime() < deadline, "the job never reached step 2");
      Thread.sleep(100);
    }
    List<ProcessHandle> workers = workerProcesses();
    assertEquals(2, workers.size(), "worker JVMs: " + workers);
    long killedAt = System.nanoTime();
    workers.get(0).destroyForcibly(); // SIGKILL: no goodbye on the ring or the control plane
    Cli.Result r = run.get(60, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - killedAt) / 1_000_000;
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("job stopped") && (r.err().contains("was killed (SIGKILL")
        || r.err().contains("disconnected") || r.err().contains("presumed dead")), r.err());
    // The surviving worker was told why, and said so before it exited.
    assertTrue(r.out().matches("(?s).*\\[worker \\d \\(pid \\d+\\)\\] ringtrain worker: worker rank \\d \\(generation 0\\) stopped: .*"), r.out());
    assertTrue(ms < 3000 + 5000, "stopped " + ms + " ms after the kill");
    for (ProcessHandle w : workers) w.onExit().get(10, TimeUnit.SECONDS);
    assertTrue(workerProcesses().isEmpty(), "orphan workers: " + workerProcesses());
  }
}
