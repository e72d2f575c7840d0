package io.ringtrain.scaling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Groups items whose key values are equal up to a relative tolerance: sweep results read back
 * from files or plots carry FLOP counts and model sizes that differ in the last digits.
 */
public final class NearGroups {
  private NearGroups() {}

  /**
   * Sorts by key and starts a new group whenever a key exceeds the group's smallest key by
   * more than {@code relativeTolerance} of it. Groups come in increasing key order.
   */
  public static <T> List<List<T>> group(
      List<T> items, ToDoubleFunction<T> key, double relativeTolerance) {
    List<T> sorted = new ArrayList<>(items);
    sorted.sort(Comparator.comparingDouble(key));
    List<List<T>> groups = new ArrayList<>();
    double first = Double.NaN;
    for (T item : sorted) {
      double k = key.applyAsDouble(item);
      if (groups.isEmpty() || k > first * (1 + relativeTolerance)) {
        groups.add(new ArrayList<>());
        first = k;
      }
      groups.get(groups.size() - 1).add(item);
    }
    return groups;
  }

  /** The geometric mean of the keys: the group's representative value on log axes. */
  public static <T> double geometricMean(List<T> group, ToDoubleFunction<T> key) {
    return Math.exp(group.stream().mapToDouble(t -> Math.log(key.applyAsDouble(t))).average()
        .orElseThrow());
  }
}
