package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.metrics.MetricsLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint plan of a run whose budget is computed (Chinchilla), as the run directory shows it. */
@Tag("slow")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CheckpointPlanTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void tokenize() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 300, "--vocab-size", "300");
  }

  static String[] job(String command, String out, int batch, String... more) {
    List<String> args = new ArrayList<>(List.of(command, "--data", tmp.resolve("data").toString(), "--out",
        tmp.resolve(out).toString(), "--layers", "1", "--heads", "2", "--width", "16", "--context", "16", "--batch",
        Integer.toString(batch), "--tokens-per-param", "4", "--threads", "1", "--eval-interval", "0", "--log-interval", "50"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void plannedCheckpointsSitAtTheFractionsOfAComputedBudgetAndSafetyOnesArePruned() throws Exception {
    Cli.Result r = Cli.run(job("train", "plan", 4, "--checkpoint-every", "7", "--keep-last", "1"));
    assertEquals(0, r.code(), r.all());
    // 1 layer of width 16, context 16, the dataset's 300-token vocabulary:
    // N = 300·16 + 16·16 + (12·16² + 13·16) + 2·16 = 8,368; D = 4 N = 33,472 tokens; 64 tokens a step.
    long d = 33_472;
    long tokensPerStep = 64;
    assertTrue(r.out().contains("8368 params"), r.out());
    Cli.Result listed = Cli.run("checkpoints", tmp.resolve("plan").toString(), "--json");
    assertEquals(0, listed.code(), listed.all());
    JsonObject o = JsonParser.parseString(listed.out()).getAsJsonObject();
    assertEquals(d, o.get("budget_tokens").getAsLong());
    List<Long> planned = new ArrayList<>();
    for (double f : new double[] {0.25, 0.5, 0.75, 1.0}) planned.add((long) Math.ceil(f * d / tokensPerStep));
    assertEquals(List.of(131L, 262L, 393L, 523L), planned);
    List<Long> planStep = new ArrayList<>();
    for (JsonElement e : o.getAsJsonArray("planned_steps")) planStep.add(e.getAsLong());
    assertEquals(planned, planStep);
    JsonArray onDisk = o.getAsJsonArray("checkpoints");
    List<Long> kept = new ArrayList<>();
    for (JsonElement e : onDisk) {
      JsonObject c = e.getAsJsonObject();
      kept.add(c.get("step").getAsLong());
      assertTrue(c.get("verified").getAsBoolean(), c.toString());
      assertEquals(c.get("step").getAsLong() * tokensPerStep, c.get("tokens").getAsLong());
    }
    // Every planned checkpoint survives; of the safety ones (every 7 steps) only the newest, 518.
    assertEquals(List.of(131L, 262L, 393L, 518L, 523L), kept);
    assertTrue(Files.readString(tmp.resolve("plan/checkpoint-plan.json")).contains("\"step\": 393"));
    Cli.Result table = Cli.run("checkpoints", tmp.resolve("plan").toString());
    assertTrue(table.out().matches("(?s).*\\s393\\s+25152\\s+75\\.1%.*planned\\s+yes.*"), table.out());
  }

  @Test
  void theCoordinatorTurnsMinutesIntoSafetyCheckpointsEveryRankAgreesOn() throws Exception {
    Cli.Result r = Cli.run(job("simulate", "timed", 2, "--workers", "2", "--checkpoint-minutes", "0.005",
        "--checkpoint-at", "1"));
    assertEquals(0, r.code(), r.all());
    List<JsonObject> saved = MetricsLog.read(RecoveryTest.localFs(),
            new org.apache.hadoop.fs.Path(tmp.resolve("timed/metrics.jsonl").toString())).stream()
        .filter(x -> x.get("type").getAsString().equals("checkpoint") && !x.get("planned").getAsBoolean()).toList();
    assertTrue(saved.size() >= 2, "timed safety checkpoints: " + saved);
  }
}
