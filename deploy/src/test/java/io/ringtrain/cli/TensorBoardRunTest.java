package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's TensorBoard files through TensorBoard's own reader (EventAccumulator, from the venv of
 * {@link PythonVenv}): every scalar at every step, equal to metrics.jsonl's numbers, and after a
 * resume from an earlier checkpoint still every step exactly once.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class TensorBoardRunTest {
  /** metrics.jsonl's field for each TensorBoard tag that has one. */
  private static final Map<String, String> TRAIN_TAGS = Map.of("train/loss", "loss", "train/lr", "lr",
      "train/grad_norm", "grad_norm", "train/tokens_seen", "tokens", "perf/compute_ms", "compute_ms",
      "perf/allreduce_ms", "allreduce_ms");
  private static final Map<String, String> VAL_TAGS = Map.of("val/loss", "val_loss", "val/perplexity", "val_ppl");
  /** Tags derived from the wall clock, not in metrics.jsonl: present and positive at every step. */
  private static final List<String> TIMING_TAGS = List.of("perf/tokens_per_s", "perf/mfu_percent");

  @TempDir Path tmp;

  @Test
  void tensorBoardReadsEveryScalarAtEveryStepAndAResumeWritesNoStepTwice() throws Exception {
    Path data = tmp.resolve("data");
    Cli.tokenizeDemoHead(data, 1500, "--vocab-size", "300");
    Path run = tmp.resolve("run");
    Cli.Result r = Cli.run("train", "--data", data.toString(), "--out", run.toString(), "--layers", "1", "--heads", "1",
        "--width", "16", "--context", "16", "--batch", "2", "--steps", "12", "--checkpoint-at", "0.5,1",
        "--eval-interval", "3", "--eval-batches", "1", "--threads", "2");
    assertEquals(0, r.code(), r.all());
    checkAgainstMetrics(run);

    // As after a crash past checkpoint 6: steps 7..12 are in the event file and are trained again.
    try (var walk = Files.walk(run.resolve("checkpoints/12"))) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
    }
    r = Cli.run("resume", run.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("at step 6"), r.out());
    JsonObject tb = checkAgainstMetrics(run);
    assertEquals(1, tb.getAsJsonArray("files").size(), "the resume rewrote the events into one file: " + tb);
  }

  /** TensorBoard's scalars equal metrics.jsonl's, step for step, each step once; returns what it read. */
  private static JsonObject checkAgainstMetrics(Path run) throws Exception {
    JsonObject tb = JsonParser.parseString(PythonVenv.runScript("tensorboard_scalars.py",
        run.resolve(TensorBoardEvents.DIR).toString())).getAsJsonObject();
    assertEquals(2.0, tb.get("file_version").getAsDouble(), tb.toString());
    JsonObject scalars = tb.getAsJsonObject("scalars");
    FileSystem fs = FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
    Map<String, Map<Long, Double>> expected = new LinkedHashMap<>();
    List<Long> trainSteps = new ArrayList<>();
    for (JsonObject m : MetricsLog.read(fs, new org.apache.hadoop.fs.Path(run.resolve(MetricsLog.FILE).toString()))) {
      String type = m.get("type").getAsString();
      if (!type.equals("train") && !type.equals("val")) continue;
      boolean train = type.equals("train");
      long step = m.get("step").getAsLong();
      if (train) trainSteps.add(step);
      for (Map.Entry<String, String> t : (train ? TRAIN_TAGS : VAL_TAGS).entrySet()) {
        expected.computeIfAbsent(t.getKey(), k -> new TreeMap<>()).put(step, m.get(t.getValue()).getAsDouble());
      }
    }
    assertEquals(12, trainSteps.size());
    for (Map.Entry<String, Map<Long, Double>> tag : expected.entrySet()) {
      Map<Long, Double> read = steps(scalars, tag.getKey());
      assertEquals(tag.getValue().keySet(), read.keySet(), tag.getKey() + " steps");
      for (Map.Entry<Long, Double> e : tag.getValue().entrySet()) {
        // simple_value is a float32: TensorBoard holds our double rounded once.
        assertEquals(e.getValue(), read.get(e.getKey()), 1e-6 * Math.abs(e.getValue()) + 1e-12,
            tag.getKey() + " at step " + e.getKey());
      }
    }
    for (String tag : TIMING_TAGS) {
      Map<Long, Double> read = steps(scalars, tag);
      assertEquals(trainSteps, new ArrayList<>(read.keySet()), tag + " steps");
      assertTrue(read.values().stream().allMatch(v -> v > 0), tag + ": " + read);
    }
    assertEquals(List.of(6L, 12L), new ArrayList<>(steps(scalars, "events/checkpoint").keySet()));
    return tb;
  }

  /** One tag's values by step; a step that TensorBoard holds twice fails. */
  private static Map<Long, Double> steps(JsonObject scalars, String tag) {
    JsonArray points = scalars.getAsJsonArray(tag);
    assertTrue(points != null, "TensorBoard has no scalar " + tag + "; it has " + scalars.keySet());
    Map<Long, Double> byStep = new TreeMap<>();
    for (JsonElement p : points) {
      long step = p.getAsJsonArray().get(0).getAsLong();
      Double before = byStep.put(step, p.getAsJsonArray().get(1).getAsDouble());
      assertTrue(before == null, tag + " has step " + step + " twice: " + points);
    }
    return byStep;
  }
}
