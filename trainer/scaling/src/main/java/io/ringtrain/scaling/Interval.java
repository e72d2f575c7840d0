package io.ringtrain.scaling;

/** A closed interval [lo, hi], here a bootstrap percentile interval. */
public record Interval(double lo, double hi) {
  public boolean contains(double value) {
    return value >= lo && value <= hi;
  }
}
