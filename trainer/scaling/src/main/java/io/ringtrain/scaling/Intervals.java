package io.ringtrain.scaling;

/** Bootstrap confidence intervals of each parameter of a {@link ScalingLaw}. */
public record Intervals(
    Interval E, Interval A, Interval B, Interval alpha, Interval beta, int resamples,
    double level) {}
