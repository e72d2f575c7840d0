package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Training state per adjacent token pair: its weighted count and the words it occurs in.
 *
 * <p>Pairs get dense indices in order of first appearance so that the count and the word list are
 * plain arrays; the hash part only maps a pair key ({@code left << 16 | right}, which fits in an
 * int because ids stay below 65,536) to that index. Word lists may hold stale or repeated
 * entries: the merge step re-checks each word, which is cheaper than keeping exact sets.
 */
final class PairTable {
  private static final int EMPTY = -1;

  private int[] slotKeys = new int[1 << 16];
  private int[] slotIndex = new int[1 << 16];
  private int[] keys = new int[1 << 14];
  private long[] counts = new long[1 << 14];
  private int[][] words = new int[1 << 14][];
  private int[] wordCounts = new int[1 << 14];
  private int size;

  PairTable() {
    Arrays.fill(slotKeys, EMPTY);
  }

  static int key(int left, int right) {
    return (left << 16) | right;
  }

  /** The dense index of a pair, created with count 0 if it is new. */
  int indexOf(int key) {
    int mask = slotKeys.length - 1;
    for (int s = mix(key) & mask; ; s = (s + 1) & mask) {
      int k = slotKeys[s];
      if (k == key) {
        return slotIndex[s];
      }
      if (k == EMPTY) {
        return create(s, key);
      }
    }
  }

  int key(int index) {
    return keys[index];
  }

  long count(int index) {
    return counts[index];
  }

  int size() {
    return size;
  }

  /** Adds {@code delta} to the pair's count; a positive delta also records {@code word}. */
  void add(int index, long delta, int word) {
    counts[index] += delta;
    if (delta > 0) {
      int n = wordCounts[index];
      int[] list = words[index];
      if (n > 0 && list[n - 1] == word) {
        return;
      }
      if (list == null) {
        list = words[index] = new int[4];
      } else if (n == list.length) {
        list = words[index] = Arrays.copyOf(list, n * 2);
      }
      list[n] = word;
      wordCounts[index] = n + 1;
    }
  }

  int[] words(int index) {
    return words[index];
  }

  int wordCount(int index) {
    return wordCounts[index];
  }

  /** Forgets a pair that was merged away everywhere: it can never occur again. */
  void retire(int index) {
    counts[index] = 0;
    words[index] = null;
    wordCounts[index] = 0;
  }

  private int create(int slot, int key) {
    if (size == keys.length) {
      int cap = size * 2;
      keys = Arrays.copyOf(keys, cap);
      counts = Arrays.copyOf(counts, cap);
      words = Arrays.copyOf(words, cap);
      wordCounts = Arrays.copyOf(wordCounts, cap);
    }
    int index = size++;
    keys[index] = key;
    slotKeys[slot] = key;
    slotIndex[slot] = index;
    if (size * 2 > slotKeys.length) {
      rehash();
    }
    return index;
  }

  private void rehash() {
    int[] grownKeys = new int[slotKeys.length * 2];
    int[] grownIndex = new int[grownKeys.length];
    Arrays.fill(grownKeys, EMPTY);
    int mask = grownKeys.length - 1;
    for (int i = 0; i < size; i++) {
      int s = mix(keys[i]) & mask;
      while (grownKeys[s] != EMPTY) {
        s = (s + 1) & mask;
      }
      grownKeys[s] = keys[i];
      grownIndex[s] = i;
    }
    slotKeys = grownKeys;
    slotIndex = grownIndex;
  }

  static int mix(int key) {
    int h = key * 0x9e3779b9;
    return h ^ (h >>> 16);
  }
}
