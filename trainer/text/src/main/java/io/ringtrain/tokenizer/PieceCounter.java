package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Counts distinct pre-tokens (byte strings) and how often each occurs.
 *
 * <p>BPE training works on unique pieces weighted by frequency, which shrinks 21 MB of text to a
 * few hundred thousand short words. The map is open-addressed over byte slices kept in one
 * arena, so counting allocates nothing per piece.
 */
final class PieceCounter {
  private int[] slots = new int[1 << 16];
  private int[] hashes = new int[1 << 14];
  private int[] offsets = new int[1 << 14];
  private int[] lengths = new int[1 << 14];
  private long[] counts = new long[1 << 14];
  private byte[] arena = new byte[1 << 18];
  private int arenaSize;
  private int size;

  /** Splits {@code text[from, to)} into pre-tokens and counts each. */
  void addText(byte[] text, int from, int to) {
    for (int i = from; i < to; ) {
      int end = PreTokenizer.next(text, i, to);
      add(text, i, end, 1);
      i = end;
    }
  }

  /** Adds every piece of {@code other} with its count. */
  void addAll(PieceCounter other) {
    for (int e = 0; e < other.size; e++) {
      int off = other.offsets[e];
      add(other.arena, off, off + other.lengths[e], other.counts[e]);
    }
  }

  void add(byte[] b, int from, int to, long count) {
    int h = hash(b, from, to);
    int mask = slots.length - 1;
    int len = to - from;
    for (int s = h & mask; ; s = (s + 1) & mask) {
      int e = slots[s] - 1;
      if (e < 0) {
        insert(s, h, b, from, len, count);
        return;
      }
      if (hashes[e] == h && lengths[e] == len
          && Arrays.equals(arena, offsets[e], offsets[e] + len, b, from, to)) {
        counts[e] += count;
        return;
      }
    }
  }

  int size() {
    return size;
  }

  int length(int entry) {
    return lengths[entry];
  }

  long count(int entry) {
    return counts[entry];
  }

  /** Byte {@code k} of piece {@code entry}, as 0..255. */
  int byteAt(int entry, int k) {
    return arena[offsets[entry] + k] & 0xff;
  }

  private void insert(int slot, int h, byte[] b, int from, int len, long count) {
    if (size == offsets.length) {
      int cap = size * 2;
      hashes = Arrays.copyOf(hashes, cap);
      offsets = Arrays.copyOf(offsets, cap);
      lengths = Arrays.copyOf(lengths, cap);
      counts = Arrays.copyOf(counts, cap);
    }
    if (arenaSize + len > arena.length) {
      arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaSize + len));
    }
    System.arraycopy(b, from, arena, arenaSize, len);
    hashes[size] = h;
    offsets[size] = arenaSize;
    lengths[size] = len;
    counts[size] = count;
    arenaSize += len;
    slots[slot] = ++size;
    if (size * 2 > slots.length) {
      rehash();
    }
  }

  private void rehash() {
    int[] grown = new int[slots.length * 2];
    int mask = grown.length - 1;
    for (int e = 0; e < size; e++) {
      int s = hashes[e] & mask;
      while (grown[s] != 0) {
        s = (s + 1) & mask;
      }
      grown[s] = e + 1;
    }
    slots = grown;
  }

  static int hash(byte[] b, int from, int to) {
    int h = 0x811c9dc5;
    for (int i = from; i < to; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    return h ^ (h >>> 15);
  }
}
