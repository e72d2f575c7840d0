package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Max-heap of (count, pair) entries for picking the next merge, with lazy deletion.
 *
 * <p>Counts change for thousands of pairs per merge; instead of updating entries in place, the
 * trainer pushes a fresh entry whenever a count grows and discards popped entries whose count is
 * stale. Ties go to the lowest pair key (left id, then right id), which makes training
 * deterministic.
 */
final class PairHeap {
  private final PairTable pairs;
  private long[] counts = new long[1 << 14];
  private int[] indices = new int[1 << 14];
  private int size;

  PairHeap(PairTable pairs) {
    this.pairs = pairs;
  }

  boolean isEmpty() {
    return size == 0;
  }

  long topCount() {
    return counts[0];
  }

  int topIndex() {
    return indices[0];
  }

  void push(long count, int index) {
    if (size == counts.length) {
      counts = Arrays.copyOf(counts, size * 2);
      indices = Arrays.copyOf(indices, size * 2);
    }
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(count, index, counts[parent], indices[parent])) {
        break;
      }
      counts[i] = counts[parent];
      indices[i] = indices[parent];
      i = parent;
    }
    counts[i] = count;
    indices[i] = index;
  }

  void pop() {
    long count = counts[--size];
    int index = indices[size];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size
          && before(counts[child + 1], indices[child + 1], counts[child], indices[child])) {
        child++;
      }
      if (!before(counts[child], indices[child], count, index)) {
        break;
      }
      counts[i] = counts[child];
      indices[i] = indices[child];
      i = child;
    }
    counts[i] = count;
    indices[i] = index;
  }

  private boolean before(long countA, int indexA, long countB, int indexB) {
    if (countA != countB) {
      return countA > countB;
    }
    return Integer.compareUnsigned(pairs.key(indexA), pairs.key(indexB)) < 0;
  }
}
