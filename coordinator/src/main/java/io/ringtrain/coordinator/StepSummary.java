package io.ringtrain.coordinator;

/**
 * One global step, aggregated over ranks: the mean of the ranks' losses (each the mean over its
 * share of the global batch, so this is the global batch's loss), the tokens of all ranks, and the
 * slowest rank's compute and all-reduce times (the step waits for it).
 */
public record StepSummary(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens,
    long tokensSeen, double maxComputeMs, double maxAllreduceMs, int ranks) {}
