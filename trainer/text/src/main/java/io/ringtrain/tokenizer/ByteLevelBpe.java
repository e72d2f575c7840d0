package io.ringtrain.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * A byte-level BPE tokenizer in the GPT-2 style.
 *
 * <p>Ids 0..255 are the single bytes, so any byte sequence, UTF-8 or not, encodes and decodes
 * back exactly. Merge {@code r} (in training order) joins two earlier tokens into token
 * {@code 256 + r}. The special token {@code <|endoftext|>} comes last, at
 * {@code 256 + mergeCount()} = {@code vocabSize() - 1}, as 50256 does in GPT-2's vocabulary.
 * Encoding text never produces it, not even from the literal characters {@code <|endoftext|>}:
 * callers insert {@link #endOfText()} between documents themselves, so no document can forge a
 * boundary.
 *
 * <p>Text is first split by {@link PreTokenizer} (GPT-2's pattern, on bytes), then each piece is
 * merged on its own. Instances are immutable and thread-safe; each thread encodes with its own
 * cache. Persisted as JSON by {@link #save} (format in the package documentation).
 */
public final class ByteLevelBpe {
  /** The end-of-text marker's text; {@link #decode} writes it for {@link #endOfText()}. */
  public static final String END_OF_TEXT = "<|endoftext|>";

  private static final byte[] END_OF_TEXT_BYTES = END_OF_TEXT.getBytes(StandardCharsets.UTF_8);

  private final int[] left;
  private final int[] right;
  private final RankMap ranks;
  private final byte[][] tokens;
  private final ThreadLocal<PieceEncoder> encoders;

  /**
   * A tokenizer from its merges: {@code left[r]} and {@code right[r]} are the ids joined by merge
   * {@code r}.
   *
   * @throws IllegalArgumentException if a merge refers to a token not yet defined (not below
   *     {@code 256 + r}), repeats an earlier pair, makes a token longer than
   *     {@link PreTokenizer#MAX_PIECE} bytes (encoding could never produce it, and the check bounds
   *     the memory a hostile file can claim), or there are too many for uint16 ids
   */
  public ByteLevelBpe(int[] left, int[] right) {
    if (left.length != right.length) {
      throw new IllegalArgumentException("merge sides differ in length: " + left.length + " vs "
          + right.length);
    }
    BpeTrainer.checkVocabSize(left.length + BpeTrainer.MIN_VOCAB);
    this.left = left.clone();
    this.right = right.clone();
    tokens = new byte[left.length + 257][];
    for (int b = 0; b < 256; b++) {
      tokens[b] = new byte[] {(byte) b};
    }
    for (int r = 0; r < left.length; r++) {
      int a = left[r];
      int c = right[r];
      if (a < 0 || a >= 256 + r || c < 0 || c >= 256 + r) {
        throw new IllegalArgumentException("merge " + r + " is (" + a + ", " + c
            + "); its ids must be tokens defined before it, 0.." + (255 + r));
      }
      if (tokens[a].length + tokens[c].length > PreTokenizer.MAX_PIECE) {
        throw new IllegalArgumentException("merge " + r + " is (" + a + ", " + c + "), a token of "
            + (tokens[a].length + tokens[c].length) + " bytes; no piece is longer than "
            + PreTokenizer.MAX_PIECE + " bytes");
      }
      byte[] joined = Arrays.copyOf(tokens[a], tokens[a].length + tokens[c].length);
      System.arraycopy(tokens[c], 0, joined, tokens[a].length, tokens[c].length);
      tokens[256 + r] = joined;
    }
    tokens[endOfText()] = END_OF_TEXT_BYTES;
    ranks = new RankMap(this.left, this.right);
    encoders = ThreadLocal.withInitial(() -> new PieceEncoder(ranks));
  }

  /** Number of ids: 256 bytes, the merges, and {@code <|endoftext|>}. */
  public int vocabSize() {
    return tokens.length;
  }

  public int mergeCount() {
    return left.length;
  }

  /** The id of {@code <|endoftext|>}, always {@code vocabSize() - 1}. */
  public int endOfText() {
    return left.length + 256;
  }

  /** Left id of merge {@code rank}. */
  public int mergeLeft(int rank) {
    return left[rank];
  }

  /** Right id of merge {@code rank}. */
  public int mergeRight(int rank) {
    return right[rank];
  }

  /** The bytes token {@code id} stands for (a copy). */
  public byte[] tokenBytes(int id) {
    checkId(id, -1);
    return tokens[id].clone();
  }

  public int[] encode(String text) {
    return encode(text.getBytes(StandardCharsets.UTF_8));
  }

  public int[] encode(byte[] text) {
    return encode(text, 0, text.length);
  }

  /** Encodes {@code text[from, to)}; never yields {@link #endOfText()}. */
  public int[] encode(byte[] text, int from, int to) {
    Objects.checkFromToIndex(from, to, text.length);
    IntList out = new IntList((to - from) / 3);
    encoders.get().encode(text, from, to, out);
    return out.toArray();
  }

  /**
   * Encodes a large buffer on all cores; the result equals {@link #encode(byte[])}. The buffer is
   * cut only where a pre-token is known to start, so no piece straddles two parts.
   */
  public int[] encodeParallel(byte[] text) {
    int parts = Math.max(1, Math.min(4 * Runtime.getRuntime().availableProcessors(),
        text.length / (1 << 20)));
    int[] cuts = new int[parts + 1];
    cuts[parts] = text.length;
    for (int k = 1; k < parts; k++) {
      int cut = PreTokenizer.lastSafeCut(text, cuts[k - 1], (int) ((long) text.length * k / parts));
      cuts[k] = cut < 0 ? cuts[k - 1] : cut;
    }
    int[][] pieces = IntStream.range(0, parts).parallel()
        .mapToObj(k -> encode(text, cuts[k], cuts[k + 1])).toArray(int[][]::new);
    int total = 0;
    for (int[] p : pieces) {
      total += p.length;
    }
    int[] ids = new int[total];
    int at = 0;
    for (int[] p : pieces) {
      System.arraycopy(p, 0, ids, at, p.length);
      at += p.length;
    }
    return ids;
  }

  /**
   * The bytes of {@code ids} concatenated; {@link #endOfText()} becomes {@code <|endoftext|>}.
   *
   * @throws IllegalArgumentException for an id outside {@code 0..vocabSize()-1}
   */
  public byte[] decode(int[] ids) {
    int total = 0;
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i], i);
      total += tokens[ids[i]].length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (int id : ids) {
      byte[] t = tokens[id];
      System.arraycopy(t, 0, out, at, t.length);
      at += t.length;
    }
    return out;
  }

  /** {@link #decode} as UTF-8 text; bytes that are not UTF-8 become U+FFFD. */
  public String decodeString(int[] ids) {
    return new String(decode(ids), StandardCharsets.UTF_8);
  }

  /** Writes the tokenizer as JSON (format in the package documentation). */
  public void save(Path file) throws IOException {
    Files.writeString(file, BpeJson.write(this), StandardCharsets.UTF_8);
  }

  /**
   * Reads a tokenizer written by {@link #save}.
   *
   * @throws TokenizerFormatException naming the file and the problem if it is not one
   */
  public static ByteLevelBpe load(Path file) throws IOException {
    return BpeJson.read(new String(Files.readAllBytes(file), StandardCharsets.UTF_8),
        file.toString());
  }

  public String toJson() {
    return BpeJson.write(this);
  }

  /** Parses {@link #toJson()} output; {@code source} names the input in error messages. */
  public static ByteLevelBpe fromJson(String json, String source)
      throws TokenizerFormatException {
    return BpeJson.read(json, source);
  }

  private void checkId(int id, int position) {
    if (id < 0 || id >= tokens.length) {
      throw new IllegalArgumentException("token id " + id
          + (position >= 0 ? " at position " + position : "") + " is outside 0.."
          + (tokens.length - 1));
    }
  }
}
