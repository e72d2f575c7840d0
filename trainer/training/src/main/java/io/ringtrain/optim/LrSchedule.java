package io.ringtrain.optim;

/**
 * Linear warmup to maxLr over warmupSteps, then cosine decay to minLrRatio * maxLr at totalSteps,
 * constant after (llm.c's schedule). Steps count from 0: step 0 gets maxLr / warmupSteps and step
 * warmupSteps - 1 gets maxLr.
 */
public record LrSchedule(double maxLr, long warmupSteps, long totalSteps, double minLrRatio) {

  public LrSchedule {
    if (!(maxLr > 0)) {
      throw new IllegalArgumentException("maxLr must be positive, got " + maxLr);
    }
    if (warmupSteps < 0 || totalSteps < warmupSteps) {
      throw new IllegalArgumentException("need 0 <= warmupSteps <= totalSteps, got "
          + warmupSteps + ", " + totalSteps);
    }
    if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
      throw new IllegalArgumentException("minLrRatio must be in [0, 1], got " + minLrRatio);
    }
  }

  public double lr(long step) {
    double minLr = minLrRatio * maxLr;
    if (step < warmupSteps) {
      return maxLr * (step + 1) / warmupSteps;
    }
    if (step >= totalSteps) {
      return minLr;
    }
    double ratio = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
    double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
    return minLr + coeff * (maxLr - minLr);
  }
}
