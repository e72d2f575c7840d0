package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's package) scrapes `simulate --metrics-port` every 250 ms;
 * its query API then holds the job's steps with metrics.jsonl's losses, and both ranks up.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PrometheusServerTest {
  @TempDir Path tmp;

  /** Debian's prometheus on the PATH; without it the test fails saying how to get it. */
  private static Path prometheusBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      Path p = Path.of(dir, "prometheus");
      if (Files.isExecutable(p)) return p;
    }
    return fail("no `prometheus` on the PATH: install Debian's Prometheus server (apt-get install prometheus;"
        + " .ci/run does)");
  }

  @Test
  void prometheusScrapesTheCoordinatorsEndpoint() throws Exception {
    Path binary = prometheusBinary();
    Cli.tokenizeDemoHead(tmp.resolve("data"), 400, "--vocab-size", "300");
    int metricsPort = PrometheusEndpointTest.freePort();
    int webPort = PrometheusEndpointTest.freePort();
    Path config = tmp.resolve("prometheus.yml");
    Files.writeString(config, String.join("\n",
        "global:",
        "  scrape_interval: 250ms",
        "  scrape_timeout: 200ms",
        "scrape_configs:",
        "  - job_name: ringtrain",
        "    static_configs:",
        "      - targets: ['127.0.0.1:" + metricsPort + "']",
        ""));
    Path log = tmp.resolve("prometheus.log");
    Process prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + tmp.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + webPort)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String api = "http://127.0.0.1:" + webPort;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!ready(api)) {
        assertTrue(prometheus.isAlive(), "prometheus exited: " + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "prometheus not ready in 60 s: " + Files.readString(log));
        Thread.sleep(200);
      }
      Path run = tmp.resolve("run");
      Cli.Result r = Cli.run(PrometheusEndpointTest.simulate(tmp.resolve("data"), run, 80, "--metrics-port",
          Integer.toString(metricsPort)));
      assertEquals(0, r.code(), r.all());

      // Raw samples (a range selector at one instant): each scrape's step and loss share its timestamp.
      Map<Double, Double> stepAt = samples(api, "ringtrain_step{job=\"ringtrain\"}[10m]");
      Map<Double, Double> lossAt = samples(api, "ringtrain_train_loss{job=\"ringtrain\"}[10m]");
      Map<Long, JsonObject> recorded = PrometheusEndpointTest.trainRecords(run);
      Map<Long, Double> lossByStep = new TreeMap<>();
      for (Map.Entry<Double, Double> e : lossAt.entrySet()) {
        long step = stepAt.get(e.getKey()).longValue();
        assertEquals(recorded.get(step).get("loss").getAsDouble(), e.getValue(), "loss at step " + step);
        lossByStep.put(step, e.getValue());
      }
      assertTrue(lossByStep.size() >= 2, "Prometheus holds the loss of steps " + lossByStep.keySet() + " only");
      for (String rank : new String[] {"0", "1"}) {
        String q = "max_over_time(ringtrain_rank_up{job=\"ringtrain\",rank=\"" + rank + "\"}[10m])";
        assertEquals(1.0, single(api, q), q);
      }
      assertEquals(2.0, single(api, "max_over_time(ringtrain_workers{job=\"ringtrain\"}[10m])"));
      assertEquals(1.0, single(api, "max_over_time(up{job=\"ringtrain\"}[10m])"), "Prometheus never scraped it");
      assertTrue(single(api, "max_over_time(ringtrain_tokens_total{job=\"ringtrain\"}[10m])") > 0);
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(20, TimeUnit.SECONDS)) prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertTrue(!prometheus.isAlive(), "prometheus outlived the test");
  }

  private static boolean ready(String api) {
    try {
      PrometheusEndpointTest.get(api + "/-/ready");
      return true;
    } catch (IOException | InterruptedException | AssertionError e) {
      return false;
    }
  }

  private static JsonArray query(String api, String promql) throws Exception {
    JsonObject o = JsonParser.parseString(PrometheusEndpointTest.get(api + "/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8))).getAsJsonObject();
    assertEquals("success", o.get("status").getAsString(), o.toString());
    return o.getAsJsonObject("data").getAsJsonArray("result");
  }

  /** The samples of a range selector's one series, value by timestamp. */
  private static Map<Double, Double> samples(String api, String promql) throws Exception {
    JsonArray result = query(api, promql);
    assertEquals(1, result.size(), promql + ": " + result);
    Map<Double, Double> byTime = new TreeMap<>();
    for (JsonElement v : result.get(0).getAsJsonObject().getAsJsonArray("values")) {
      byTime.put(v.getAsJsonArray().get(0).getAsDouble(), Double.parseDouble(v.getAsJsonArray().get(1).getAsString()));
    }
    return byTime;
  }

  /** An instant query's one value. */
  private static double single(String api, String promql) throws Exception {
    JsonArray result = query(api, promql);
    assertEquals(1, result.size(), promql + ": " + result);
    return Double.parseDouble(result.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsString());
  }
}
