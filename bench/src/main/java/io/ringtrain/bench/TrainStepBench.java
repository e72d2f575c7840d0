package io.ringtrain.bench;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.opencl.OpenClBackend;
import io.ringtrain.metrics.Stats;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.model.Rng;
import io.ringtrain.optim.AdamW;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Backends;
import io.ringtrain.train.ParamsDigest;
import io.ringtrain.train.Trainer;
import java.util.Arrays;
import java.util.Locale;

/**
 * End-to-end training step (zero grads, forward, backward, gradient clipping, AdamW, and the
 * parameter digest the trainer computes each step) on random tokens, on the pure-Java backend or
 * the OpenCL one: a few warm-up steps, then the median of the timed steps. For OpenCL it also
 * reports the one-time kernel compile and the host-device transfer time per step.
 *
 * <p>MFU uses {@link TrainingPlan#flopsPerToken}, nanoGPT's 6N + 12 L H Q T (N parameters of the
 * real vocabulary, L layers, H heads, Q head size, T context), against a peak given in FLOP/s.
 */
public final class TrainStepBench {
  private static final int WARMUP_STEPS = 3;
  /** The JIT compiles the kernels in the first seconds, longer than 3 steps of S take. */
  public static final double WARMUP_SECONDS = 10;

  /** A benchmark model: the GPT shape plus the batch it is timed with. */
  public record Shape(String name, int nLayer, int nHead, int nEmbd, int context, int batch,
      int vocab) {
    public GptConfig config() {
      return GptConfig.of(nLayer, nHead, nEmbd, context, vocab);
    }
  }

  public record Result(String model, int threads, int batch, int context, long params,
      double flopsPerToken, int steps, double msPerStep, double tokensPerSecond,
      double flopsPerSecond, double mfu, double peakFlops, float lastLoss, String backend,
      double compileMs, double transferMsPerStep, double digestMsPerStep) {

    public String toJson() {
      return String.format(Locale.ROOT, "{\"model\":\"%s\",\"threads\":%d,\"batch\":%d,"
          + "\"context\":%d,\"params\":%d,\"flopsPerToken\":%.6g,\"steps\":%d,"
          + "\"msPerStep\":%.3f,\"tokensPerSecond\":%.1f,\"flopsPerSecond\":%.6g,"
          + "\"mfu\":%.4f,\"peakFlops\":%.6g,\"lastLoss\":%.4f,\"backend\":\"%s\","
          + "\"compileMs\":%.1f,\"transferMsPerStep\":%.3f,\"digestMsPerStep\":%.3f}", model, threads, batch,
          context, params, flopsPerToken, steps, msPerStep, tokensPerSecond, flopsPerSecond, mfu,
          peakFlops, lastLoss, backend.replace("\"", "'"), compileMs, transferMsPerStep, digestMsPerStep);
    }

    @Override
    public String toString() {
      String device = compileMs > 0 ? String.format(Locale.ROOT,
          "; compile %.0f ms once, transfers %.2f ms/step", compileMs, transferMsPerStep) : "";
      return String.format(Locale.ROOT, "model %s [%s]: %.1f ms/step, %.0f tokens/s, "
          + "%.2f GFLOP/s, MFU %.1f%% of %.0f GFLOP/s (N=%d, B=%d, T=%d); parameter digest %.1f ms/step%s",
          model, backend, msPerStep, tokensPerSecond, flopsPerSecond / 1e9, 100 * mfu, peakFlops / 1e9,
          params, batch, context, digestMsPerStep, device);
    }
  }

  private TrainStepBench() {}

  /** S, M or L. */
  public static Shape shape(String model) {
    switch (model.toUpperCase(Locale.ROOT)) {
      case "S":
        return new Shape("S", 4, 4, 128, 128, 16, 512);
      case "M":
        return new Shape("M", 6, 6, 384, 256, 8, 4096);
      case "L":
        return new Shape("L", 12, 12, 768, 256, 4, 50304);
      default:
        throw new IllegalArgumentException("unknown model '" + model + "': expected S, M or L");
    }
  }

  public static Result run(String model, int threads, int steps) {
    return run(model, threads, steps, TrainingPlan.PEAK_FLOPS);
  }

  public static Result run(String model, int threads, int steps, double peakFlops) {
    return run(model, ClusterSpec.newBuilder().setBackend(JobSpecs.DEFAULT_BACKEND).setThreads(threads).build(),
        steps, peakFlops, WARMUP_SECONDS);
  }

  /**
   * On the backend {@code cluster} chooses (backend, device and threads, as a worker's), warming up
   * for {@link #WARMUP_STEPS} steps and at least {@code warmupSeconds}.
   */
  public static Result run(String model, ClusterSpec cluster, int steps, double peakFlops, double warmupSeconds) {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be at least 1, got " + steps);
    }
    if (!(warmupSeconds >= 0)) {
      throw new IllegalArgumentException("the warm-up must be 0 s or more, got " + warmupSeconds);
    }
    Shape s = shape(model);
    GptConfig cfg = s.config();
    int b = s.batch();
    int t = s.context();
    Rng rng = new Rng(1234);
    int[] inputs = new int[b * t];
    int[] targets = new int[b * t];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = rng.nextInt(cfg.vocabSize());
      targets[i] = rng.nextInt(cfg.vocabSize());
    }
    try (Backend backend = Backends.create(cluster, System.err)) {
      OpenClBackend cl = backend instanceof OpenClBackend o ? o : null;
      double transferStart = 0;
      GptModel gpt = new GptModel(cfg, backend, 1);
      AdamW opt = AdamW.gpt2(gpt.layout());
      long[] nanos = new long[steps];
      long[] digestNanos = new long[steps];
      float loss = Float.NaN;
      long done = 0;
      long warmStart = System.nanoTime();
      for (int i = 0; i < WARMUP_STEPS || System.nanoTime() - warmStart < warmupSeconds * 1e9; i++) {
        loss = step(gpt, opt, inputs, targets, b, t, done++, null, 0);
      }
      if (cl != null) {
        transferStart = cl.transferMillis();
      }
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        loss = step(gpt, opt, inputs, targets, b, t, done++, digestNanos, i);
        nanos[i] = System.nanoTime() - t0;
      }
      double seconds = Stats.median(nanos) / 1e9;
      long n = gpt.layout().paramCount();
      double flopsPerToken = TrainingPlan.flopsPerToken(n, cfg.nLayer(), cfg.nEmbd(), t);
      double tokensPerSecond = b * t / seconds;
      double flops = flopsPerToken * tokensPerSecond;
      double transfer = cl == null ? 0 : (cl.transferMillis() - transferStart) / steps;
      if (cl != null && Boolean.getBoolean("ringtrain.bench.ops")) {
        StringBuilder ops = new StringBuilder("kernel time per op, all steps (ms):");
        cl.opMillis().forEach((k, v) -> ops.append(String.format(Locale.ROOT, " %s %.0f;", k, v)));
        System.err.println(ops);
      }
      return new Result(s.name(), cl == null ? cluster.getThreads() : cl.threads(), b, t, n, flopsPerToken,
          steps, seconds * 1e3, tokensPerSecond, flops, flops / peakFlops, peakFlops,
          loss, backend.describe(), cl == null ? 0 : cl.compileMillis(), transfer, Stats.median(digestNanos) / 1e6);
    }
  }

  /**
   * One timed unit: the trainer's step on one batch, then its per-step digest (a download on a
   * device), whose own time goes to digestNanos[at] when digestNanos is not null.
   */
  private static float step(GptModel gpt, AdamW opt, int[] inputs, int[] targets, int b, int t, long done,
      long[] digestNanos, int at) {
    float loss = Trainer.singleBatchStep(gpt, opt, inputs, targets, b, t, 1.0, 3e-4f, done);
    long d0 = System.nanoTime();
    ParamsDigest.of(gpt.hostParams());
    if (digestNanos != null) digestNanos[at] = System.nanoTime() - d0;
    return loss;
  }

  /** Arguments: model (S|M|L) [threads] [steps] [peak FLOP/s] [--json]. */
  public static void main(String[] args) {
    boolean json = Arrays.asList(args).contains("--json");
    String[] a = Arrays.stream(args).filter(x -> !x.equals("--json")).toArray(String[]::new);
    if (a.length < 1) {
      System.err.println("usage: TrainStepBench S|M|L [threads] [steps] [peakFlops] [--json]");
      System.exit(2);
    }
    int threads = a.length > 1 ? Integer.parseInt(a[1]) : Runtime.getRuntime().availableProcessors();
    int steps = a.length > 2 ? Integer.parseInt(a[2]) : 10;
    double peak = a.length > 3 ? Double.parseDouble(a[3]) : TrainingPlan.PEAK_FLOPS;
    Result r = run(a[0], threads, steps, peak);
    System.out.println(json ? r.toJson() : r.toString());
  }
}
