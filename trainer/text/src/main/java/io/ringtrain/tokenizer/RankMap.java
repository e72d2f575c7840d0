package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Read-only map from a token pair to the rank of the merge that joins it: the hot lookup of
 * encoding, kept as two int arrays (open addressing, load at most one half) instead of a boxed
 * {@code HashMap}.
 */
final class RankMap {
  private static final int EMPTY = -1;

  private final int[] keys;
  private final int[] ranks;

  /** @throws IllegalArgumentException if a pair occurs twice */
  RankMap(int[] left, int[] right) {
    int cap = Integer.highestOneBit(Math.max(16, left.length * 2)) << 1;
    keys = new int[cap];
    ranks = new int[cap];
    Arrays.fill(keys, EMPTY);
    int mask = cap - 1;
    for (int r = 0; r < left.length; r++) {
      int key = PairTable.key(left[r], right[r]);
      int s = PairTable.mix(key) & mask;
      while (keys[s] != EMPTY) {
        if (keys[s] == key) {
          throw new IllegalArgumentException("merge " + r + " repeats the pair (" + left[r] + ", "
              + right[r] + ") of merge " + ranks[s]);
        }
        s = (s + 1) & mask;
      }
      keys[s] = key;
      ranks[s] = r;
    }
  }

  /** The merge rank of (left, right), or {@code Integer.MAX_VALUE} if they never merge. */
  int rank(int left, int right) {
    int key = PairTable.key(left, right);
    int mask = keys.length - 1;
    for (int s = PairTable.mix(key) & mask; ; s = (s + 1) & mask) {
      int k = keys[s];
      if (k == key) {
        return ranks[s];
      }
      if (k == EMPTY) {
        return Integer.MAX_VALUE;
      }
    }
  }
}
