package io.ringtrain.tokenizer;

/**
 * GPT-2's pre-tokenization split, done directly on bytes.
 *
 * <p>GPT-2 splits text with the regular expression
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+} before BPE, so
 * merges never cross a word, number or punctuation boundary. This class reproduces that pattern
 * with a hand-written scanner over UTF-8 bytes instead of {@code java.util.regex}: it is several
 * times faster, needs no {@code String} per chunk, and it copes with bytes that are not UTF-8.
 * Every byte that does not start a well-formed UTF-8 sequence (stray continuation bytes,
 * overlong forms, surrogates, truncated sequences) is a one-byte code point of the class "other",
 * which is what the regex would do with the U+FFFD a lenient decoder puts in its place. The
 * pieces always tile the input exactly, so the split can never lose a byte.
 *
 * <p>Classes follow Unicode properties, as tiktoken's Rust regex applies GPT-2's pattern:
 * {@code \p{L}} is {@link Character#isLetter}, {@code \p{N}} the Nd, Nl and No categories,
 * {@code \s} the White_Space property (which, unlike {@code java.util.regex}'s default {@code \s},
 * includes U+0085, U+00A0, U+2000..U+200A, U+3000 and the other Unicode spaces, and excludes
 * U+001C..U+001F). Only U+0020 attaches to a following word, as in the pattern's {@code " ?"}.
 */
public final class PreTokenizer {
  static final int LETTER = 1;
  static final int NUMBER = 2;
  static final int SPACE = 3;
  static final int OTHER = 4;

  /**
   * Longest piece in bytes. Longer runs of one class (a megabyte of zero bytes, a wall of dashes)
   * are cut into pieces of at most this size, at code point boundaries; training and encoding
   * share the cut, so it only bounds the quadratic merge loop and the cache entries, and natural
   * text never reaches it.
   */
  public static final int MAX_PIECE = 256;

  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = (byte) OTHER;
    }
    for (int c = 'a'; c <= 'z'; c++) {
      ASCII[c] = (byte) LETTER;
      ASCII[c - 'a' + 'A'] = (byte) LETTER;
    }
    for (int c = '0'; c <= '9'; c++) {
      ASCII[c] = (byte) NUMBER;
    }
    for (int c = 0x09; c <= 0x0d; c++) {
      ASCII[c] = (byte) SPACE;
    }
    ASCII[' '] = (byte) SPACE;
  }

  private PreTokenizer() {}

  /**
   * Returns the end (exclusive) of the piece that starts at {@code start}. Callers walk a buffer
   * with {@code for (int i = from; i < to; i = next(b, i, to))}; the piece never extends past
   * {@code to}, and {@code start < to} is required.
   */
  public static int next(byte[] b, int start, int to) {
    int c = b[start] & 0xff;
    if (c == '\'') {
      int n = contraction(b, start, to);
      if (n > 0) {
        return start + n;
      }
    }
    int info = charAt(b, start, to);
    int cls = info & 7;
    int i = start + (info >>> 3);
    if (c == ' ' && i < to) {
      int after = charAt(b, i, to);
      if ((after & 7) != SPACE) {
        cls = after & 7;
        i += after >>> 3;
      }
    }
    int limit = to - start > MAX_PIECE ? start + MAX_PIECE : to;
    if (cls == SPACE) {
      return spaceRunEnd(b, start, i, limit, to);
    }
    while (i < limit) {
      byte x = b[i];
      if (x >= 0) {
        if (ASCII[x] != cls) {
          break;
        }
        i++;
      } else {
        int cur = charAt(b, i, to);
        if ((cur & 7) != cls || i + (cur >>> 3) > limit) {
          break;
        }
        i += cur >>> 3;
      }
    }
    return i;
  }

  /**
   * Whether a piece starts at {@code p} no matter what precedes {@code p - 1}, so a buffer may be
   * cut at {@code p} and both halves split on their own with the same result as the whole. It
   * holds for a newline between two visible ASCII characters (a trailing whitespace run would be
   * split differently at the end of a buffer, so the newline must stand alone), and at a space
   * that sits between a visible ASCII character and an ASCII letter (the space begins the next
   * word). Requires {@code 1 < p} and {@code p + 1 < to}, where {@code to} ends the valid bytes.
   */
  static boolean isSafeCut(byte[] b, int p) {
    int before = b[p - 1];
    int at = b[p];
    if (before == '\n') {
      return isVisibleAscii(at) && isVisibleAscii(b[p - 2]);
    }
    return at == ' ' && isVisibleAscii(before) && isAsciiLetter(b[p + 1]);
  }

  /**
   * The last safe cut in {@code (from, to)} found scanning back from {@code to}, or -1 if none.
   * Used to chunk large inputs for streaming and for parallel work.
   */
  static int lastSafeCut(byte[] b, int from, int to) {
    for (int p = to - 2; p > Math.max(from, 1); p--) {
      if (isSafeCut(b, p)) {
        return p;
      }
    }
    return -1;
  }

  /** The first safe cut in {@code (from, to)} found scanning forward from {@code from}, or -1 if none. */
  static int firstSafeCut(byte[] b, int from, int to) {
    for (int p = Math.max(from, 1) + 1; p < to - 1; p++) {
      if (isSafeCut(b, p)) {
        return p;
      }
    }
    return -1;
  }

  private static boolean isVisibleAscii(int c) {
    return c > ' ' && c < 0x7f;
  }

  private static boolean isAsciiLetter(byte c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** GPT-2's case-sensitive contractions; returns their length in bytes or 0. */
  private static int contraction(byte[] b, int i, int to) {
    if (i + 1 >= to) {
      return 0;
    }
    int c1 = b[i + 1];
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
      return 2;
    }
    if (i + 2 < to) {
      int c2 = b[i + 2];
      if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
        return 3;
      }
    }
    return 0;
  }

  /**
   * {@code \s+(?!\S)|\s+}: a whitespace run that ends at the buffer's end is taken whole; one
   * followed by a visible character gives up its last character (so {@code " word"} keeps its
   * space) unless that would leave it empty. A run longer than {@code limit} is cut there and
   * continues in the next piece.
   */
  private static int spaceRunEnd(byte[] b, int start, int i, int limit, int to) {
    int lastStart = start;
    while (i < to) {
      int cur = charAt(b, i, to);
      if ((cur & 7) != SPACE) {
        return lastStart > start ? lastStart : i;
      }
      if (i + (cur >>> 3) > limit) {
        return i;
      }
      lastStart = i;
      i += cur >>> 3;
    }
    return i;
  }

  /**
   * The code point at {@code i}: its class in the low three bits, its length in bytes above them.
   * Bytes that do not begin a well-formed UTF-8 sequence within {@code to} are one-byte
   * {@link #OTHER}s.
   */
  static int charAt(byte[] b, int i, int to) {
    int c = b[i] & 0xff;
    if (c < 0x80) {
      return 8 | ASCII[c];
    }
    int cp;
    int len;
    if (c >= 0xc2 && c <= 0xdf) {
      if (i + 1 >= to || !cont(b[i + 1])) {
        return 8 | OTHER;
      }
      cp = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f);
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= to || !cont(b[i + 1]) || !cont(b[i + 2])) {
        return 8 | OTHER;
      }
      cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 8 | OTHER;
      }
      len = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= to || !cont(b[i + 1]) || !cont(b[i + 2]) || !cont(b[i + 3])) {
        return 8 | OTHER;
      }
      cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6)
          | (b[i + 3] & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) {
        return 8 | OTHER;
      }
      len = 4;
    } else {
      return 8 | OTHER;
    }
    return (len << 3) | classOf(cp);
  }

  private static boolean cont(byte x) {
    return (x & 0xc0) == 0x80;
  }

  private static int classOf(int cp) {
    if (isWhiteSpace(cp)) {
      return SPACE;
    }
    int type = Character.getType(cp);
    switch (type) {
      case Character.UPPERCASE_LETTER:
      case Character.LOWERCASE_LETTER:
      case Character.TITLECASE_LETTER:
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
        return LETTER;
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
        return NUMBER;
      default:
        return OTHER;
    }
  }

  /** The Unicode White_Space property above ASCII. */
  private static boolean isWhiteSpace(int cp) {
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a)
        || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
  }
}
