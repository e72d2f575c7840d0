package io.ringtrain.plan;

import io.ringtrain.model.GptConfig;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import java.util.Locale;

/**
 * The budget of a job, fixed before it starts: parameters, tokens, steps, FLOPs, warmup and the
 * checkpoint plan.
 *
 * <p>Parameters are {@link GptConfig#params}'s count. With neither steps nor tokens given, the
 * budget is {@code tokens_per_param × params} tokens (Chinchilla: about 20).
 */
public record TrainingPlan(
    long params,
    long nonEmbeddingParams,
    long tokensPerStep,
    long steps,
    long tokens,
    long warmupSteps,
    double flops6nd,
    double flopsWithAttention,
    CheckpointPlan checkpoints,
    String budgetSource) {

  /** {@link GptConfig#params} of the spec's shape; throws ArithmeticException past Long.MAX_VALUE (JobSpecs refuses such models). */
  public static long params(ModelSpec m) {
    return GptConfig.params(m.getNLayer(), m.getNEmbd(), m.getBlockSize(), m.getVocabSize());
  }

  public static long nonEmbedding(ModelSpec m) {
    return GptConfig.nonEmbeddingParams(m.getNLayer(), m.getNEmbd());
  }

  /**
   * The peak FLOP/s every MFU here is measured against, as text for option defaults: about
   * OpenBLAS sgemm on the reference 2-core machine (bench/README.md).
   */
  public static final String PEAK_FLOPS_TEXT = "245e9";
  public static final double PEAK_FLOPS = Double.parseDouble(PEAK_FLOPS_TEXT);

  public static double flopsPerToken(ModelSpec m) {
    return flopsPerToken(params(m), m.getNLayer(), m.getNEmbd(), m.getBlockSize());
  }

  /**
   * Training FLOPs per token as nanoGPT and PaLM count them: 6N for the matmuls forward and
   * backward, plus 12·L·C·T for attention scores and their use (C = heads × head size).
   */
  public static double flopsPerToken(long params, int nLayer, int nEmbd, int context) {
    return 6.0 * params + 12.0 * nLayer * nEmbd * context;
  }

  /** Plans a defaulted, valid spec. */
  public static TrainingPlan of(JobSpec spec) {
    ModelSpec m = spec.getModel();
    long n = params(m);
    long perStep = (long) spec.getCluster().getWorkers() * spec.getData().getBatchSize() * m.getBlockSize()
        * spec.getSchedule().getGradAccum();
    long steps;
    long budget;
    String source;
    if (spec.getSchedule().getSteps() > 0) {
      steps = spec.getSchedule().getSteps();
      budget = steps * perStep;
      source = "schedule.steps";
    } else {
      budget = spec.getSchedule().getTokens() > 0 ? spec.getSchedule().getTokens()
          : (long) Math.ceil(spec.getSchedule().getTokensPerParam() * n);
      source = spec.getSchedule().getTokens() > 0 ? "schedule.tokens"
          : String.format(Locale.ROOT, "Chinchilla: %.4g tokens per parameter", spec.getSchedule().getTokensPerParam());
      steps = Math.max(1, (budget + perStep - 1) / perStep);
    }
    long tokens = steps * perStep;
    long warmup = Math.round(spec.getSchedule().getWarmupFraction() * steps);
    return new TrainingPlan(n, nonEmbedding(m), perStep, steps, tokens, warmup, 6.0 * n * tokens,
        flopsPerToken(m) * tokens, CheckpointPlan.of(spec.getCheckpoint(), budget, perStep, steps), source);
  }

  public String describe() {
    return String.format(Locale.ROOT,
        "plan: %s params (%s non-embedding), %s tokens (%.1f per param; %s) = %d steps × %s tokens/step,"
            + " warmup %d steps, %.3g FLOPs (6ND) / %.3g with attention; %s",
        human(params), human(nonEmbeddingParams), human(tokens), tokens / (double) params, budgetSource, steps,
        human(tokensPerStep), warmupSteps, flops6nd, flopsWithAttention, checkpoints.describe());
  }

  private static String human(long v) {
    return io.ringtrain.progress.ProgressLine.human(v);
  }
}
