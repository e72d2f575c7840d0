package io.ringtrain.train;

import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
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
 */
public final class RunReporter implements TrainingListener {
  /**
   * Peak FLOP/s that MFU is measured against: OpenBLAS sgemm on the reference 2-core machine
   * (bench/README.md). Override with -Dringtrain.peakFlops for other machines.
   */
  public static final double DEFAULT_PEAK_FLOPS = Double.parseDouble(System.getProperty("ringtrain.peakFlops", "245e9"));

  private final PrintStream out;
  private final MetricsLog metrics;
  private final TensorBoardEvents tensorboard;
  private final double flopsPerToken;
  private final int logInterval;
  private final long startNanos = System.nanoTime();
  private long windowStartNanos = System.nanoTime();
  private long windowTokens;
  private long firstStep = -1;
  private long tokensSinceStart;
  private long lastStepNanos = System.nanoTime();

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

  /** A step of the whole job: {@code tokens} are all ranks' tokens in it. */
  public void step(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens, long tokensSeen,
      double computeMs, double syncMs) throws IOException {
    long now = System.nanoTime();
    if (firstStep < 0) firstStep = step;
    windowTokens += tokens;
    tokensSinceStart += tokens;
    double windowSecs = (now - windowStartNanos) / 1e9;
    double tokPerSec = windowTokens / Math.max(windowSecs, 1e-9);
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
    // Per step, from the wall clock between reports: evaluation and checkpoint time fall into the next step.
    double stepTokPerSec = tokens / Math.max((now - lastStepNanos) / 1e9, 1e-9);
    lastStepNanos = now;
    Map<String, Double> scalars = new LinkedHashMap<>();
    scalars.put("train/loss", loss);
    scalars.put("train/lr", lr);
    if (!Double.isNaN(gradNorm)) scalars.put("train/grad_norm", gradNorm);
    scalars.put("train/tokens_seen", (double) tokensSeen);
    scalars.put("perf/tokens_per_s", stepTokPerSec);
    scalars.put("perf/mfu_percent", mfuPercent(stepTokPerSec));
    scalars.put("perf/compute_ms", computeMs);
    scalars.put("perf/allreduce_ms", syncMs);
    tensorboard.scalars(step, scalars);
    if (step % logInterval == 0 || step == totalSteps || step == firstStep) {
      double overall = tokensSinceStart / Math.max((now - startNanos) / 1e9, 1e-9);
      double eta = (totalSteps - step) * (tokensSinceStart / (double) (step - firstStep + 1)) / Math.max(overall, 1e-9);
      out.printf(Locale.ROOT, "step %d/%d | loss %.4f | lr %.2e | %s tok/s | MFU %.1f%% | ETA %s%n", step, totalSteps,
          loss, lr, ProgressLine.human((long) tokPerSec), mfuPercent(tokPerSec),
          ProgressLine.duration(eta));
      out.flush();
      windowStartNanos = now;
      windowTokens = 0;
    }
  }

  /**
   * Forgets what was recorded after {@code step}: a recovered job repeats those steps. The rate
   * window starts again, since the time the recovery took is not training.
   */
  public void rewind(long step) throws IOException {
    metrics.rewind(step);
    tensorboard.rewind(step);
    windowStartNanos = System.nanoTime();
    windowTokens = 0;
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
