package io.ringtrain.train;

import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.progress.ProgressLine;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import io.ringtrain.checkpoint.CheckpointWriter;

/**
 * The run's voice: a progress line per logged step (step, loss, lr, tokens/s, MFU, ETA), a record
 * per step in metrics.jsonl and the same numbers as TensorBoard scalars. One reporter serves a
 * single-process run and the coordinator of a multi-process one, which feeds it steps aggregated
 * over ranks, so both write the same files.
 *
 * <p>Tokens/s and MFU are the steps' own: tokens over the time the steps took as their ranks
 * measured it (compute plus all-reduce), as llm.c and the train bench measure a step, never over
 * the time between reports arriving here. Reports can queue up and arrive together (a stalled
 * launcher drains them in a burst), or a window can span a pause of this process; neither says
 * anything about the training's speed. The ETA is about wall-clock time, so it uses wall-clock time.
 */
public final class RunReporter implements TrainingListener {
  /** {@link TrainingPlan#PEAK_FLOPS}, or -Dringtrain.peakFlops for other machines. */
  public static final double DEFAULT_PEAK_FLOPS =
      Double.parseDouble(System.getProperty("ringtrain.peakFlops", TrainingPlan.PEAK_FLOPS_TEXT));

  private final PrintStream out;
  private final MetricsLog metrics;
  private final TensorBoardEvents tensorboard;
  private final double flopsPerToken;
  private final int logInterval;
  private final long startNanos = System.nanoTime();
  private long windowTokens;
  private double windowStepMs;
  private long firstStep = -1;
  private long tokensSinceStart;

  public RunReporter(PrintStream out, MetricsLog metrics, TensorBoardEvents tensorboard, double flopsPerToken,
      int logInterval) {
    this.out = out;
    this.metrics = metrics;
    this.tensorboard = tensorboard;
    this.flopsPerToken = flopsPerToken;
    this.logInterval = logInterval;
  }

  @Override
  public void onStep(StepResult s) throws IOException {
    step(s.step(), s.totalSteps(), s.loss(), s.lr(), s.gradNorm(), s.tokens(), s.tokensSeen(), s.computeMs(), s.syncMs());
  }

  /**
   * A step of the whole job: {@code tokens} are all ranks' tokens in it; {@code computeMs} and
   * {@code syncMs} are the step's compute and all-reduce time (over ranks, the slowest of each, so
   * their sum bounds the step's time from above and the rate shown from below).
   */
  public void step(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens, long tokensSeen,
      double computeMs, double syncMs) throws IOException {
    long now = System.nanoTime();
    if (firstStep < 0) firstStep = step;
    windowTokens += tokens;
    windowStepMs += computeMs + syncMs;
    tokensSinceStart += tokens;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("type", "train");
    r.put("step", step);
    r.put("tokens", tokensSeen);
    r.put("loss", loss);
    r.put("lr", lr);
    if (!Double.isNaN(gradNorm)) r.put("grad_norm", gradNorm);
    r.put("compute_ms", computeMs);
    r.put("allreduce_ms", syncMs);
    r.put("unix_ms", System.currentTimeMillis());
    metrics.write(r);
    Map<String, Double> scalars = new LinkedHashMap<>();
    scalars.put("train/loss", loss);
    scalars.put("train/lr", lr);
    if (!Double.isNaN(gradNorm)) scalars.put("train/grad_norm", gradNorm);
    scalars.put("train/tokens_seen", (double) tokensSeen);
    if (computeMs + syncMs > 0) {
      double tokPerSec = tokens / ((computeMs + syncMs) / 1e3);
      scalars.put("perf/tokens_per_s", tokPerSec);
      scalars.put("perf/mfu_percent", mfuPercent(tokPerSec));
    }
    scalars.put("perf/compute_ms", computeMs);
    scalars.put("perf/allreduce_ms", syncMs);
    tensorboard.scalars(step, scalars);
    if (step % logInterval == 0 || step == totalSteps || step == firstStep) {
      double overall = tokensSinceStart / Math.max((now - startNanos) / 1e9, 1e-9);
      double eta = (totalSteps - step) * (tokensSinceStart / (double) (step - firstStep + 1)) / Math.max(overall, 1e-9);
      out.printf(Locale.ROOT, "step %d/%d | loss %.4f | lr %.2e | %s | ETA %s%n", step, totalSteps, loss, lr,
          speed(), ProgressLine.duration(eta));
      out.flush();
      windowTokens = 0;
      windowStepMs = 0;
    }
  }

  /**
   * Forgets what was recorded after {@code step}: a recovered job repeats those steps. The rate
   * window starts again.
   */
  public void rewind(long step) throws IOException {
    metrics.rewind(step);
    tensorboard.rewind(step);
    windowTokens = 0;
    windowStepMs = 0;
  }

  /**
   * A record of another kind (a recovery) at {@code step}, with its fields, in metrics.jsonl; its
   * numeric fields are TensorBoard scalars {@code events/<type>/<field>} too.
   */
  public void record(String type, long step, Map<String, ?> fields) throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("type", type);
    r.put("step", step);
    r.putAll(fields);
    metrics.write(r);
    Map<String, Double> scalars = new LinkedHashMap<>();
    fields.forEach((k, v) -> {
      if (v instanceof Number n) scalars.put("events/" + type + "/" + k, n.doubleValue());
    });
    tensorboard.scalars(step, scalars);
  }

  /** "12.3k tok/s | MFU 4.5%" over the steps since the last line; dashes when they took no measurable time. */
  private String speed() {
    if (windowStepMs <= 0) return "- tok/s | MFU -";
    double tokPerSec = windowTokens / (windowStepMs / 1e3);
    return String.format(Locale.ROOT, "%s tok/s | MFU %.1f%%", ProgressLine.human((long) tokPerSec),
        mfuPercent(tokPerSec));
  }

  @Override
  public void onEval(long step, long tokensSeen, double valLoss) throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("type", "val");
    r.put("step", step);
    r.put("tokens", tokensSeen);
    r.put("val_loss", valLoss);
    r.put("val_ppl", Math.exp(valLoss));
    metrics.write(r);
    tensorboard.scalars(step, Map.of("val/loss", valLoss, "val/perplexity", Math.exp(valLoss)));
    out.printf(Locale.ROOT, "step %d | val loss %.4f | val ppl %.2f%n", step, valLoss, Math.exp(valLoss));
  }

  @Override
  public void onCheckpoint(CheckpointWriter.Committed c) throws IOException {
    tensorboard.checkpoint(c.step(), c.dir().toString());
    out.printf(Locale.ROOT, "step %d | checkpoint %s (%s, %.0f MB/s in the background; training stalled %.1f ms)%n",
        c.step(), c.dir(), c.planned() ? "planned" : "safety", c.bytes() / 1e6 / Math.max(c.writeMs() / 1e3, 1e-9),
        c.snapshotMs());
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("type", "checkpoint");
    r.put("step", c.step());
    r.put("planned", c.planned());
    r.put("bytes", c.bytes());
    r.put("snapshot_ms", c.snapshotMs());
    r.put("write_ms", c.writeMs());
    metrics.write(r);
  }

  @Override
  public void onCheckpointFailed(long step, boolean planned, String error) {
    out.println("step " + step + " | checkpoint FAILED: " + error);
  }

  /** Model FLOPs utilisation in percent at {@code tokPerSec}. */
  private double mfuPercent(double tokPerSec) {
    return 100 * tokPerSec * flopsPerToken / DEFAULT_PEAK_FLOPS;
  }
}
