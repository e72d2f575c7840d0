package io.ringtrain.train;

/**
 * One optimizer step as this rank saw it. {@code loss} is the mean over this rank's micro-batches;
 * {@code tokens} counts this rank's tokens; {@code gradNorm} is the global norm before clipping;
 * {@code paramsDigest} ({@link ParamsDigest}) hashes the parameters after the update, so ranks can prove they agree.
 */
public record StepResult(long step, long totalSteps, double loss, double lr, double gradNorm, long tokens,
    long tokensSeen, double computeMs, double syncMs, long paramsDigest) {}
