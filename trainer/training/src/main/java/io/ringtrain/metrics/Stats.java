package io.ringtrain.metrics;

import java.util.Arrays;

/** Summaries of repeated timings: the one median every bench reports. */
public final class Stats {
  private Stats() {}

  /** The middle value, or the mean of the two middle ones; {@code a} is left as it was. */
  public static double median(double[] a) {
    if (a.length == 0) throw new IllegalArgumentException("the median of no values");
    double[] b = a.clone();
    Arrays.sort(b);
    return b.length % 2 == 1 ? b[b.length / 2] : 0.5 * (b[b.length / 2 - 1] + b[b.length / 2]);
  }

  /** As {@link #median(double[])}, of nanosecond counts and the like. */
  public static double median(long[] a) {
    return median(Arrays.stream(a).asDoubleStream().toArray());
  }
}
