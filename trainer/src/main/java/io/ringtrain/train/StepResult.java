package io.ringtrain.train;

/**
 * One optimizer step as this rank saw it. {@code loss} is the mean over this rank's micro-batches;
 * {@code tokens} counts this rank's tokens; {@code gradNorm} is the global norm before clipping.
 */
public record StepResult(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens,
    long tokensSeen, double computeMs, double syncMs) {}
