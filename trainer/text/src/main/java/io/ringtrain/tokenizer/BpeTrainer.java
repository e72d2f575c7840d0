package io.ringtrain.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Learns byte-level BPE merges from a corpus.
 *
 * <p>The corpus is first reduced to its distinct pre-tokens with their frequencies (in parallel
 * over chunks cut where {@link PreTokenizer} is known to start a piece). Merging then never
 * recounts: each pair keeps its count and the list of words it appears in, a merge rewrites only
 * those words and applies the count changes around each occurrence, and a lazily cleaned max-heap
 * gives the next most frequent pair. The merge of rank {@code r} creates token {@code 256 + r};
 * ties between equally frequent pairs go to the lowest (left id, right id), so the result depends
 * only on the corpus and the vocabulary size.
 */
public final class BpeTrainer {
  /** Smallest vocabulary: the 256 bytes and {@code <|endoftext|>}. */
  public static final int MIN_VOCAB = 257;
  /** Largest vocabulary: ids must fit the uint16 token shards. */
  public static final int MAX_VOCAB = 65_535;

  private static final int CHUNK = 16 << 20;

  private BpeTrainer() {}

  /**
   * Trains on {@code corpus}. The result has {@code vocabSize} tokens unless the corpus runs out
   * of pairs to merge first (every pre-token already a single token); then it is smaller, and
   * {@link ByteLevelBpe#vocabSize()} says by how much.
   *
   * @throws IllegalArgumentException if {@code vocabSize} is outside 257..65,535 or the corpus is
   *     empty
   */
  public static ByteLevelBpe train(byte[] corpus, int vocabSize) {
    checkVocabSize(vocabSize);
    if (corpus.length == 0) {
      throw new IllegalArgumentException("cannot train a BPE vocabulary on an empty corpus");
    }
    return merge(count(corpus, 0, corpus.length), vocabSize);
  }

  /**
   * Trains on everything {@code in} yields, read in chunks of 16 MB so that only the distinct
   * pre-tokens, not the corpus, need to fit in memory.
   */
  public static ByteLevelBpe train(InputStream in, int vocabSize) throws IOException {
    return train(in, vocabSize, CHUNK);
  }

  static ByteLevelBpe train(InputStream in, int vocabSize, int chunkBytes) throws IOException {
    checkVocabSize(vocabSize);
    PieceCounter total = new PieceCounter();
    byte[] buf = new byte[chunkBytes];
    int filled = 0;
    long seen = 0;
    while (true) {
      int n = in.readNBytes(buf, filled, buf.length - filled);
      seen += n;
      filled += n;
      if (filled < buf.length) {
        if (filled > 0) {
          total.addAll(count(buf, 0, filled));
        }
        break;
      }
      int cut = PreTokenizer.lastSafeCut(buf, 0, filled);
      if (cut > 0) {
        total.addAll(count(buf, 0, cut));
        System.arraycopy(buf, cut, buf, 0, filled - cut);
        filled -= cut;
      }
      if (filled > buf.length / 2) {
        // No cut, or only an early one: a bigger buffer keeps each read a large step forward.
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
    }
    if (seen == 0) {
      throw new IllegalArgumentException("cannot train a BPE vocabulary on an empty corpus");
    }
    return merge(total, vocabSize);
  }

  static void checkVocabSize(int vocabSize) {
    if (vocabSize < MIN_VOCAB || vocabSize > MAX_VOCAB) {
      throw new IllegalArgumentException("vocabulary size " + vocabSize + " is outside the allowed"
          + " range " + MIN_VOCAB + ".." + MAX_VOCAB + " (256 bytes + <|endoftext|> up to uint16)");
    }
  }

  /** Counts pre-tokens of {@code b[from, to)}, one chunk per available core. */
  static PieceCounter count(byte[] b, int from, int to) {
    int parts = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(),
        (to - from) / (1 << 20)));
    int[] cuts = new int[parts + 1];
    cuts[0] = from;
    cuts[parts] = to;
    for (int k = 1; k < parts; k++) {
      int target = from + (int) ((long) (to - from) * k / parts);
      int cut = PreTokenizer.lastSafeCut(b, cuts[k - 1], target);
      cuts[k] = cut < 0 ? cuts[k - 1] : cut;
    }
    PieceCounter[] counters = IntStream.range(0, parts).parallel().mapToObj(k -> {
      PieceCounter c = new PieceCounter();
      c.addText(b, cuts[k], cuts[k + 1]);
      return c;
    }).toArray(PieceCounter[]::new);
    for (int k = 1; k < parts; k++) {
      counters[0].addAll(counters[k]);
    }
    return counters[0];
  }

  static ByteLevelBpe merge(PieceCounter pieces, int vocabSize) {
    return new Merger(pieces).run(vocabSize - MIN_VOCAB);
  }

  /** The merge loop over the distinct words of one corpus. */
  private static final class Merger {
    private final int[] symbols;
    private final int[] starts;
    private final int[] lengths;
    private final long[] freqs;
    private final PairTable pairs = new PairTable();
    private final PairHeap heap = new PairHeap(pairs);
    /** Pairs whose count grew in the current merge, to be pushed once it is done. */
    private int[] grown = new int[1024];
    private int grownCount;
    /** For each pair index, the merge number that last put it in {@code grown}. */
    private int[] grownStamp = new int[1 << 14];
    private int stamp;

    Merger(PieceCounter pieces) {
      int words = 0;
      long total = 0;
      for (int e = 0; e < pieces.size(); e++) {
        if (pieces.length(e) > 1) {
          words++;
          total += pieces.length(e);
        }
      }
      symbols = new int[Math.toIntExact(total)];
      starts = new int[words];
      lengths = new int[words];
      freqs = new long[words];
      int w = 0;
      int pos = 0;
      for (int e = 0; e < pieces.size(); e++) {
        int len = pieces.length(e);
        if (len < 2) {
          continue;
        }
        starts[w] = pos;
        lengths[w] = len;
        freqs[w] = pieces.count(e);
        for (int k = 0; k < len; k++) {
          symbols[pos++] = pieces.byteAt(e, k);
        }
        for (int k = starts[w]; k < pos - 1; k++) {
          pairs.add(pairs.indexOf(PairTable.key(symbols[k], symbols[k + 1])), freqs[w], w);
        }
        w++;
      }
      for (int p = 0; p < pairs.size(); p++) {
        heap.push(pairs.count(p), p);
      }
    }

    ByteLevelBpe run(int mergeTarget) {
      int[] left = new int[mergeTarget];
      int[] right = new int[mergeTarget];
      int done = 0;
      while (done < mergeTarget && !heap.isEmpty()) {
        long count = heap.topCount();
        int pair = heap.topIndex();
        heap.pop();
        long current = pairs.count(pair);
        if (current != count) {
          if (current > 0) {
            heap.push(current, pair);
          }
          continue;
        }
        int key = pairs.key(pair);
        left[done] = key >>> 16;
        right[done] = key & 0xffff;
        apply(pair, left[done], right[done], 256 + done);
        done++;
      }
      return new ByteLevelBpe(Arrays.copyOf(left, done), Arrays.copyOf(right, done));
    }

    /** Replaces (a, b) by {@code merged} in every word that holds it, updating pair counts. */
    private void apply(int pair, int a, int b, int merged) {
      stamp++;
      grownCount = 0;
      int[] list = pairs.words(pair);
      int n = pairs.wordCount(pair);
      for (int i = 0; i < n; i++) {
        mergeWord(list[i], a, b, merged);
      }
      pairs.retire(pair);
      for (int i = 0; i < grownCount; i++) {
        long c = pairs.count(grown[i]);
        if (c > 0) {
          heap.push(c, grown[i]);
        }
      }
    }

    /**
     * Merges occurrences left to right, as encoding does. Around each occurrence the pairs with
     * the neighbours change: (prev, a) becomes (prev, merged) and (b, next) becomes
     * (merged, next); {@code prev} is read from the already rewritten prefix so that
     * back-to-back occurrences ({@code abab}, {@code aaaa}) are counted exactly once.
     */
    private void mergeWord(int word, int a, int b, int merged) {
      int start = starts[word];
      int end = start + lengths[word];
      long f = freqs[word];
      int out = start;
      for (int i = start; i < end; ) {
        if (i + 1 < end && symbols[i] == a && symbols[i + 1] == b) {
          if (out > start) {
            int prev = symbols[out - 1];
            pairs.add(pairs.indexOf(PairTable.key(prev, a)), -f, word);
            increase(PairTable.key(prev, merged), f, word);
          }
          if (i + 2 < end) {
            int next = symbols[i + 2];
            pairs.add(pairs.indexOf(PairTable.key(b, next)), -f, word);
            increase(PairTable.key(merged, next), f, word);
          }
          symbols[out++] = merged;
          i += 2;
        } else {
          symbols[out++] = symbols[i++];
        }
      }
      lengths[word] = out - start;
    }

    private void increase(int key, long f, int word) {
      int index = pairs.indexOf(key);
      pairs.add(index, f, word);
      if (index >= grownStamp.length) {
        grownStamp = Arrays.copyOf(grownStamp, Math.max(index + 1, grownStamp.length * 2));
      }
      if (grownStamp[index] != stamp) {
        grownStamp[index] = stamp;
        if (grownCount == grown.length) {
          grown = Arrays.copyOf(grown, grownCount * 2);
        }
        grown[grownCount++] = index;
      }
    }
  }
}
