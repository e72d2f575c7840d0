package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Encodes text for one thread: pre-tokenizes, then BPE-merges each piece, remembering the ids of
 * pieces already seen.
 *
 * <p>Natural text repeats its words, so after a few hundred kilobytes nearly every piece is a
 * cache hit and encoding costs one hash and one compare per piece. The cache is an open-addressed
 * table over a byte arena and an id arena. It starts small (encoding one sentence should not
 * cost megabytes), grows to hold a whole corpus's distinct pieces (the 21 MB demo corpus has
 * 315,000), and beyond that bound simply starts over, which keeps memory flat on any input (at
 * most about 30 MB per thread). Not thread-safe: {@link ByteLevelBpe} keeps one per thread.
 */
final class PieceEncoder {
  private static final int MAX_ENTRIES = 1 << 19;
  private static final int MAX_KEY_BYTES = 8 << 20;
  private static final int NO_RANK = Integer.MAX_VALUE;

  private final RankMap ranks;
  private final int[] symbols = new int[PreTokenizer.MAX_PIECE];
  private final int[] pairRanks = new int[PreTokenizer.MAX_PIECE];

  /** Open-addressed: the piece's hash in the high half, entry + 1 in the low half, 0 = free. */
  private long[] slots = new long[1 << 13];
  /** Per entry, together for locality: key offset, key length, id offset, id count. */
  private int[] meta = new int[4 << 12];
  private byte[] keyArena = new byte[1 << 16];
  private int[] idArena = new int[1 << 14];
  private int keyArenaSize;
  private int idArenaSize;
  private int entries;

  PieceEncoder(RankMap ranks) {
    this.ranks = ranks;
  }

  /** Appends the ids of {@code text[from, to)} to {@code out}. */
  void encode(byte[] text, int from, int to, IntList out) {
    for (int i = from; i < to; ) {
      int end = PreTokenizer.next(text, i, to);
      if (end - i == 1) {
        out.add(text[i] & 0xff);
      } else {
        encodePiece(text, i, end, out);
      }
      i = end;
    }
  }

  private void encodePiece(byte[] b, int from, int to, IntList out) {
    int h = PieceCounter.hash(b, from, to);
    int len = to - from;
    int mask = slots.length - 1;
    int s = h & mask;
    for (; ; s = (s + 1) & mask) {
      long slot = slots[s];
      if (slot == 0) {
        break;
      }
      if ((int) (slot >>> 32) == h) {
        int m = 4 * ((int) slot - 1);
        if (meta[m + 1] == len && sameBytes(keyArena, meta[m], b, from, len)) {
          if (meta[m + 3] == 1) {
            out.add(idArena[meta[m + 2]]);
          } else {
            out.addAll(idArena, meta[m + 2], meta[m + 3]);
          }
          return;
        }
      }
    }
    int n = merge(b, from, to);
    out.addAll(symbols, 0, n);
    if (entries == MAX_ENTRIES || keyArenaSize + len > MAX_KEY_BYTES) {
      clear();
      s = freeSlot(h);
    } else if (4 * entries == meta.length) {
      grow();
      s = freeSlot(h);
    }
    remember(s, h, b, from, len, n);
  }

  /** Short pieces dominate; a plain loop beats {@code Arrays.equals}' range checks on them. */
  private static boolean sameBytes(byte[] x, int xFrom, byte[] y, int yFrom, int len) {
    for (int k = 0; k < len; k++) {
      if (x[xFrom + k] != y[yFrom + k]) {
        return false;
      }
    }
    return true;
  }

  private int freeSlot(int h) {
    int mask = slots.length - 1;
    int s = h & mask;
    while (slots[s] != 0) {
      s = (s + 1) & mask;
    }
    return s;
  }

  private void grow() {
    meta = Arrays.copyOf(meta, meta.length * 2);
    long[] old = slots;
    slots = new long[old.length * 2];
    for (long slot : old) {
      if (slot != 0) {
        slots[freeSlot((int) (slot >>> 32))] = slot;
      }
    }
  }

  /**
   * Byte-pair merging of one piece into {@code symbols}; returns the token count. Always merges
   * the lowest-ranked adjacent pair, leftmost first, which gives the same tokens as replaying the
   * merges in training order. Pieces are at most {@link PreTokenizer#MAX_PIECE} bytes, so the
   * quadratic scan stays cheap.
   */
  private int merge(byte[] b, int from, int to) {
    int n = to - from;
    for (int k = 0; k < n; k++) {
      symbols[k] = b[from + k] & 0xff;
    }
    for (int k = 0; k + 1 < n; k++) {
      pairRanks[k] = ranks.rank(symbols[k], symbols[k + 1]);
    }
    while (n > 1) {
      int best = 0;
      for (int k = 1; k + 1 < n; k++) {
        if (pairRanks[k] < pairRanks[best]) {
          best = k;
        }
      }
      int rank = pairRanks[best];
      if (rank == NO_RANK) {
        break;
      }
      symbols[best] = 256 + rank;
      System.arraycopy(symbols, best + 2, symbols, best + 1, n - best - 2);
      System.arraycopy(pairRanks, best + 2, pairRanks, best + 1, Math.max(0, n - best - 3));
      n--;
      if (best > 0) {
        pairRanks[best - 1] = ranks.rank(symbols[best - 1], symbols[best]);
      }
      if (best + 1 < n) {
        pairRanks[best] = ranks.rank(symbols[best], symbols[best + 1]);
      }
    }
    return n;
  }

  private void remember(int slot, int h, byte[] b, int from, int len, int n) {
    if (keyArenaSize + len > keyArena.length) {
      keyArena = Arrays.copyOf(keyArena, Math.max(keyArena.length * 2, keyArenaSize + len));
    }
    if (idArenaSize + n > idArena.length) {
      idArena = Arrays.copyOf(idArena, Math.max(idArena.length * 2, idArenaSize + n));
    }
    System.arraycopy(b, from, keyArena, keyArenaSize, len);
    System.arraycopy(symbols, 0, idArena, idArenaSize, n);
    int m = 4 * entries;
    meta[m] = keyArenaSize;
    meta[m + 1] = len;
    meta[m + 2] = idArenaSize;
    meta[m + 3] = n;
    keyArenaSize += len;
    idArenaSize += n;
    slots[slot] = ((long) h << 32) | ++entries;
  }

  private void clear() {
    Arrays.fill(slots, 0);
    entries = 0;
    keyArenaSize = 0;
    idArenaSize = 0;
  }
}
