package io.ringtrain.tokenizer;

import java.util.Arrays;

/**
 * Encodes text for one thread: pre-tokenizes, then BPE-merges each piece, remembering the ids of
 * pieces already seen.
 *
 * <p>Natural text repeats its words, so after a few hundred kilobytes nearly every piece is a
 * cache hit and encoding costs one hash and one compare per piece. The cache is an open-addressed
 * table over a byte arena and an id arena; it is bounded and simply starts over when full, which
 * keeps memory flat on any input. Not thread-safe: {@link ByteLevelBpe} keeps one per thread.
 */
final class PieceEncoder {
  private static final int MAX_ENTRIES = 1 << 17;
  private static final int MAX_KEY_BYTES = 4 << 20;
  private static final int NO_RANK = Integer.MAX_VALUE;

  private final RankMap ranks;
  private final int[] symbols = new int[PreTokenizer.MAX_PIECE];
  private final int[] pairRanks = new int[PreTokenizer.MAX_PIECE];

  private final int[] slots = new int[MAX_ENTRIES * 2];
  private final int[] hashes = new int[MAX_ENTRIES];
  private final int[] keyOffsets = new int[MAX_ENTRIES];
  private final int[] keyLengths = new int[MAX_ENTRIES];
  private final int[] idOffsets = new int[MAX_ENTRIES];
  private final int[] idLengths = new int[MAX_ENTRIES];
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
      int e = slots[s] - 1;
      if (e < 0) {
        break;
      }
      if (hashes[e] == h && keyLengths[e] == len
          && Arrays.equals(keyArena, keyOffsets[e], keyOffsets[e] + len, b, from, to)) {
        out.addAll(idArena, idOffsets[e], idLengths[e]);
        return;
      }
    }
    int n = merge(b, from, to);
    out.addAll(symbols, 0, n);
    if (entries == MAX_ENTRIES || keyArenaSize + len > MAX_KEY_BYTES) {
      clear();
      s = h & mask;
      while (slots[s] != 0) {
        s = (s + 1) & mask;
      }
    }
    remember(s, h, b, from, len, n);
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
    hashes[entries] = h;
    keyOffsets[entries] = keyArenaSize;
    keyLengths[entries] = len;
    idOffsets[entries] = idArenaSize;
    idLengths[entries] = n;
    keyArenaSize += len;
    idArenaSize += n;
    slots[slot] = ++entries;
  }

  private void clear() {
    Arrays.fill(slots, 0);
    entries = 0;
    keyArenaSize = 0;
    idArenaSize = 0;
  }
}
