package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.metrics.MetricsLog;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `simulate --metrics-port`: a real coordinator and two worker JVMs train while this test reads
 * the endpoint over HTTP as Prometheus would; what it reads is what metrics.jsonl records.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PrometheusEndpointTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void tokenize() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
  }

  /** A 2-worker simulate of a small model for {@code steps} steps, checkpoints at half and end. */
  static String[] simulate(Path data, Path out, long steps, String... more) {
    List<String> args = new ArrayList<>(List.of("simulate", "--workers", "2", "--data", data.toString(), "--out",
        out.toString(), "--layers", "2", "--heads", "2", "--width", "32", "--context", "32", "--batch", "4", "--steps",
        Long.toString(steps), "--threads", "1", "--seed", "5", "--eval-interval", "10", "--eval-batches", "1",
        "--checkpoint-at", "0.5,1", "--heartbeat-ms", "200", "--failure-timeout-ms", "10000"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** A port free on 127.0.0.1 a moment ago. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** GET {@code url}; the status must be 200. */
  static String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return r.body();
  }

  /** Prometheus's text format: each sample as "name{labels}" to its value; comments dropped. */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      String v = line.substring(space + 1);
      samples.put(line.substring(0, space), v.equals("+Inf") ? Double.POSITIVE_INFINITY
          : v.equals("-Inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(v));
    }
    return samples;
  }

  /** A run's train records by step, from metrics.jsonl. */
  static Map<Long, JsonObject> trainRecords(Path run) throws IOException {
    FileSystem fs = FileSystem.get(URI.create("file:///"), HadoopConf.configuration());
    Map<Long, JsonObject> byStep = new HashMap<>();
    for (JsonObject o : MetricsLog.read(fs, new org.apache.hadoop.fs.Path(run.resolve(MetricsLog.FILE).toString()))) {
      if (o.get("type").getAsString().equals("train")) byStep.put(o.get("step").getAsLong(), o);
    }
    return byStep;
  }

  private static boolean endsWithin(CompletableFuture<?> job, int seconds) {
    try {
      job.get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (TimeoutException stillRunning) {
      return false;
    } catch (InterruptedException | ExecutionException e) {
      return true; // ended, and its own result is checked after the loop
    }
  }

  /** Runs the command while scraping http://127.0.0.1:{@code port}/metrics every 40 ms; every scrape it got. */
  private static List<Map<String, Double>> scrapeWhileRunning(String[] command, int port) throws Exception {
    return scrapeWhileRunning(command, port, s -> { });
  }

  /** As above, handing each scrape to {@code onScrape} as it comes. */
  private static List<Map<String, Double>> scrapeWhileRunning(String[] command, int port,
      Consumer<Map<String, Double>> onScrape) throws Exception {
    String url = "http://127.0.0.1:" + port + "/metrics";
    CompletableFuture<Cli.Result> job = CompletableFuture.supplyAsync(() -> Cli.run(command));
    List<Map<String, Double>> scrapes = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (!job.isDone()) {
      assertTrue(System.nanoTime() < deadline, "the job did not end");
      try {
        Map<String, Double> scrape = parse(get(url));
        scrapes.add(scrape);
        onScrape.accept(scrape);
      } catch (ConnectException e) {
        // before the endpoint starts, or after it closed
      } catch (IOException e) {
        // A scrape in flight when the job ends is reset by the closing server: only then is it no failure.
        if (!endsWithin(job, 10)) throw e;
      }
      Thread.sleep(40);
    }
    Cli.Result r = job.get();
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("metrics for Prometheus on " + url), r.out());
    assertThrows(ConnectException.class, () -> get(url), "the endpoint closes with the job");
    return scrapes;
  }

  /**
   * Checks every scrape of a finished run against its metrics.jsonl: the step never goes back, and
   * each scrape's step numbers are, bit for bit, the ones recorded for that step. Returns the
   * steps seen.
   */
  private static TreeSet<Long> checkSteps(List<Map<String, Double>> scrapes, Path run, int workers, long total)
      throws IOException {
    Map<Long, JsonObject> recorded = trainRecords(run);
    assertEquals(total, recorded.size());
    TreeSet<Long> steps = new TreeSet<>();
    long previous = 0;
    for (Map<String, Double> s : scrapes) {
      assertEquals((double) workers, s.get("ringtrain_workers"), s.toString());
      assertEquals((double) total, s.get("ringtrain_total_steps"), s.toString());
      assertEquals(0.0, s.get("ringtrain_generation"), s.toString());
      assertEquals(1.0, s.get("ringtrain_job_info{name=\"ringtrain\",run_id=\"" + runId(run) + "\"}"), s.toString());
      long step = s.get("ringtrain_step").longValue();
      assertTrue(step >= previous, "the step went back from " + previous + " to " + step);
      previous = step;
      if (step == 0) {
        assertFalse(s.containsKey("ringtrain_train_loss"), "a loss before the first step: " + s);
        continue;
      }
      steps.add(step);
      JsonObject m = recorded.get(step);
      assertEquals(m.get("loss").getAsDouble(), s.get("ringtrain_train_loss"), "loss at step " + step);
      assertEquals(m.get("lr").getAsDouble(), s.get("ringtrain_learning_rate"), "lr at step " + step);
      assertEquals(m.get("tokens").getAsDouble(), s.get("ringtrain_tokens_seen"), "tokens seen at step " + step);
      assertEquals(m.get("compute_ms").getAsDouble() / 1e3, s.get("ringtrain_step_compute_seconds"), 1e-12);
      assertTrue(s.get("ringtrain_tokens_per_second") > 0, s.toString());
    }
    assertTrue(steps.size() >= 2, "the scrapes saw the steps " + steps + " only (" + scrapes.size() + " scrapes)");
    return steps;
  }

  @Test
  void simulateServesItsStepLossAndRanksWhileItTrains() throws Exception {
    int port = freePort();
    Path run = tmp.resolve("run");
    List<Map<String, Double>> scrapes = scrapeWhileRunning(
        simulate(tmp.resolve("data"), run, 80, "--metrics-port", Integer.toString(port)), port);
    checkSteps(scrapes, run, 2, 80);
    boolean bothRanksUp = false;
    boolean checkpointSeen = false;
    for (Map<String, Double> s : scrapes) {
      if (Double.valueOf(1).equals(s.get("ringtrain_rank_up{rank=\"0\"}"))
          && Double.valueOf(1).equals(s.get("ringtrain_rank_up{rank=\"1\"}"))) {
        bothRanksUp = true;
        for (String rank : List.of("0", "1")) {
          double age = s.get("ringtrain_rank_heartbeat_age_seconds{rank=\"" + rank + "\"}");
          assertTrue(age >= 0 && age < 10, "rank " + rank + " heard from " + age + " s ago");
          double last = s.get("ringtrain_rank_last_step{rank=\"" + rank + "\"}");
          assertTrue(last >= 0 && last <= 80, "rank " + rank + " last step " + last);
        }
      }
      Double checkpoint = s.get("ringtrain_last_checkpoint_step");
      if (checkpoint != null) {
        assertTrue(checkpoint == 40 || checkpoint == 80, "checkpoint at " + checkpoint);
        assertTrue(s.get("ringtrain_checkpoints_total") >= 1, s.toString());
        checkpointSeen = true;
      }
    }
    assertTrue(bothRanksUp, "no scrape saw both ranks up");
    assertTrue(checkpointSeen, "no scrape saw a checkpoint");
  }

  /** The pid of each rank's worker, from ringtrain_rank_info. */
  private static Map<String, Long> pids(Map<String, Double> scrape) {
    Map<String, Long> pids = new TreeMap<>();
    Pattern info = Pattern.compile("ringtrain_rank_info\\{host=\"[^\"]*\",pid=\"(\\d+)\",rank=\"(\\d+)\"}");
    for (String k : scrape.keySet()) {
      Matcher m = info.matcher(k);
      if (m.matches()) pids.put(m.group(2), Long.parseLong(m.group(1)));
    }
    return pids;
  }

  @Test
  void aKilledWorkerShowsAsDownThenTheRecoveryAsTheNextGeneration() throws Exception {
    int port = freePort();
    Path run = tmp.resolve("recovered");
    AtomicLong killed = new AtomicLong();
    List<Map<String, Double>> scrapes = scrapeWhileRunning(simulate(tmp.resolve("data"), run, 80, "--metrics-port",
        Integer.toString(port), "--checkpoint-every", "10"), port, s -> {
          Long rank1 = pids(s).get("1");
          if (killed.get() == 0 && s.get("ringtrain_step") >= 20 && rank1 != null) {
            // The pid the endpoint names is the worker's: SIGKILL it.
            ProcessHandle.of(rank1).orElseThrow().destroyForcibly();
            killed.set(rank1);
          }
        });
    assertTrue(killed.get() != 0, "never killed a worker");
    Map<Long, JsonObject> recorded = trainRecords(run);
    boolean downAfterTheKill = false;
    boolean recovered = false;
    for (Map<String, Double> s : scrapes) {
      long step = s.get("ringtrain_step").longValue();
      if (s.containsKey("ringtrain_train_loss")) {
        // A recovered run repeats its steps bit for bit, so metrics.jsonl's loss is every scrape's.
        assertEquals(recorded.get(step).get("loss").getAsDouble(), s.get("ringtrain_train_loss"), "step " + step);
      }
      if (s.get("ringtrain_generation_failures_total") == 1.0
          && Double.valueOf(0).equals(s.get("ringtrain_rank_up{rank=\"1\"}"))) {
        downAfterTheKill = true;
      }
      if (s.get("ringtrain_generation") == 1.0 && s.get("ringtrain_recoveries_total") == 1.0) {
        recovered = true;
        assertTrue(s.get("ringtrain_last_recovery_seconds") > 0, s.toString());
        assertFalse(pids(s).containsValue(killed.get()), "the killed worker still listed: " + s);
      }
    }
    assertTrue(downAfterTheKill, "no scrape showed rank 1 down after the failure");
    assertTrue(recovered, "no scrape showed generation 1 recovered");
    assertEquals(80, recorded.size());
  }

  @Test
  void trainServesTheStepsOfItsOneProcess() throws Exception {
    int port = freePort();
    Path run = tmp.resolve("train");
    List<Map<String, Double>> scrapes = scrapeWhileRunning(new String[] {"train", "--data",
        tmp.resolve("data").toString(), "--out", run.toString(), "--layers", "2", "--heads", "2", "--width", "32",
        "--context", "32", "--batch", "4", "--steps", "200", "--threads", "1", "--eval-interval", "0",
        "--metrics-port", Integer.toString(port)}, port);
    checkSteps(scrapes, run, 1, 200);
    assertTrue(scrapes.stream().noneMatch(s -> s.keySet().stream().anyMatch(k -> k.startsWith("ringtrain_rank_"))),
        "train has no ranks to report");
  }

  private static String runId(Path run) throws IOException {
    return com.google.gson.JsonParser.parseString(Files.readString(run.resolve(TrainingJob.SPEC_FILE))).getAsJsonObject()
        .get("run_id").getAsString();
  }

  @Test
  void aMetricsPortInUseIsRefusedBeforeAnythingIsWritten() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path run = tmp.resolve("port-in-use");
      Cli.Result r = Cli.run(simulate(tmp.resolve("data"), run, 4, "--metrics-port",
          Integer.toString(taken.getLocalPort())));
      assertEquals(ExitCodes.IO_ERROR, r.code(), r.all());
      assertTrue(r.err().contains("simulate: cannot serve metrics on 127.0.0.1:" + taken.getLocalPort())
          && r.err().contains("is the port in use?"), r.err());
      assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), r.err());
      assertFalse(Files.exists(run), "the run directory was created");
    }
    Cli.Result r = Cli.run(simulate(tmp.resolve("data"), tmp.resolve("bad-port"), 4, "--metrics-port", "70000"));
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("--metrics-port=70000 must be 0..65535"), r.err());
    // A documentation address (TEST-NET-1), no interface's: binding fails, and nothing is sent anywhere.
    r = Cli.run(simulate(tmp.resolve("data"), tmp.resolve("not-mine"), 4, "--metrics-port", "0", "--metrics-host",
        "192.0.2.1"));
    assertEquals(ExitCodes.IO_ERROR, r.code(), r.all());
    assertTrue(r.err().contains("cannot serve metrics on 192.0.2.1:0")
        && r.err().contains("is --metrics-host an address of this machine?"), r.err());
    assertFalse(Files.exists(tmp.resolve("not-mine")), "the run directory was created");
  }
}
