package io.ringtrain.tokenizer;

import java.util.Arrays;

/** A growable int array, so token ids are never boxed. */
final class IntList {
  private int[] data;
  private int size;

  IntList(int capacity) {
    data = new int[Math.max(16, capacity)];
  }

  void add(int value) {
    if (size == data.length) {
      data = Arrays.copyOf(data, size * 2);
    }
    data[size++] = value;
  }

  void addAll(int[] values, int from, int count) {
    if (size + count > data.length) {
      data = Arrays.copyOf(data, Math.max(size * 2, size + count));
    }
    System.arraycopy(values, from, data, size, count);
    size += count;
  }

  int[] toArray() {
    return Arrays.copyOf(data, size);
  }
}
