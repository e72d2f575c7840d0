package io.ringtrain.bench;

import java.util.Arrays;

/** Summaries of repeated timings. */
public final class Stats {
  private Stats() {}

  public static double median(double[] a) {
    double[] b = a.clone();
    Arrays.sort(b);
    return b.length % 2 == 1 ? b[b.length / 2] : 0.5 * (b[b.length / 2 - 1] + b[b.length / 2]);
  }
}
