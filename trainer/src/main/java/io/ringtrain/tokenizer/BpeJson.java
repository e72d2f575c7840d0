package io.ringtrain.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * The JSON form of a {@link ByteLevelBpe}:
 *
 * <pre>{@code
 * {
 *   "type": "byte-level-bpe",
 *   "version": 1,
 *   "vocab_size": 4096,
 *   "pre_tokenizer": "gpt2",
 *   "special_tokens": {"<|endoftext|>": 4095},
 *   "merges": [
 *     [101, 32],
 *     [116, 104],
 *     ...
 *   ]
 * }
 * }</pre>
 *
 * <p>Merges are pairs of token ids in rank order; merge {@code r} defines id {@code 256 + r}. Ids
 * rather than GPT-2's printable-unicode strings keep the file independent of any byte-to-char
 * table and make it trivial to read from other languages. {@code vocab_size} and the special
 * token's id are redundant on purpose: a truncated or hand-edited file fails loudly instead of
 * shifting every id. Reading checks every field and names the first one that is wrong.
 *
 * <p>Parsing goes through {@link JsonTree}; numbers arrive as doubles, exact for every id.
 */
final class BpeJson {
  static final String TYPE = "byte-level-bpe";
  static final int VERSION = 1;
  static final String PRE_TOKENIZER = "gpt2";

  private BpeJson() {}

  static String write(ByteLevelBpe bpe) {
    StringBuilder sb = new StringBuilder(32 + bpe.mergeCount() * 14);
    sb.append("{\n  \"type\": \"").append(TYPE).append("\",\n");
    sb.append("  \"version\": ").append(VERSION).append(",\n");
    sb.append("  \"vocab_size\": ").append(bpe.vocabSize()).append(",\n");
    sb.append("  \"pre_tokenizer\": \"").append(PRE_TOKENIZER).append("\",\n");
    sb.append("  \"special_tokens\": {\"").append(ByteLevelBpe.END_OF_TEXT).append("\": ")
        .append(bpe.endOfText()).append("},\n");
    sb.append("  \"merges\": [");
    for (int r = 0; r < bpe.mergeCount(); r++) {
      sb.append(r == 0 ? "\n    [" : ",\n    [").append(bpe.mergeLeft(r)).append(", ")
          .append(bpe.mergeRight(r)).append(']');
    }
    sb.append(bpe.mergeCount() == 0 ? "]\n}\n" : "\n  ]\n}\n");
    return sb.toString();
  }

  static ByteLevelBpe read(String json, String source) throws TokenizerFormatException {
    Object parsed;
    try {
      parsed = JsonTree.parse(json);
    } catch (IllegalArgumentException e) {
      throw new TokenizerFormatException(source + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!(parsed instanceof Map)) {
      throw fail(source, "the top level is " + show(parsed) + ", not a JSON object");
    }
    Map<?, ?> root = (Map<?, ?>) parsed;
    String type = string(root, "type", source);
    if (!TYPE.equals(type)) {
      throw fail(source, "\"type\" is \"" + type + "\", expected \"" + TYPE + "\"");
    }
    int version = integer(root.get("version"), "\"version\"", source);
    if (version != VERSION) {
      throw fail(source, "\"version\" is " + version + "; this reader knows version " + VERSION);
    }
    if (root.containsKey("pre_tokenizer")
        && !PRE_TOKENIZER.equals(string(root, "pre_tokenizer", source))) {
      throw fail(source, "\"pre_tokenizer\" is \"" + string(root, "pre_tokenizer", source)
          + "\", expected \"" + PRE_TOKENIZER + "\"");
    }
    if (!(root.get("merges") instanceof List)) {
      throw fail(source, "\"merges\" is missing or not an array");
    }
    List<?> merges = (List<?>) root.get("merges");
    int[] left = new int[merges.size()];
    int[] right = new int[merges.size()];
    for (int r = 0; r < merges.size(); r++) {
      Object m = merges.get(r);
      if (!(m instanceof List) || ((List<?>) m).size() != 2) {
        throw fail(source, "merge " + r + " is " + show(m) + ", expected a pair [left id, right id]");
      }
      left[r] = integer(((List<?>) m).get(0), "merge " + r, source);
      right[r] = integer(((List<?>) m).get(1), "merge " + r, source);
    }
    ByteLevelBpe bpe;
    try {
      bpe = new ByteLevelBpe(left, right);
    } catch (IllegalArgumentException e) {
      throw fail(source, e.getMessage());
    }
    if (root.containsKey("vocab_size")) {
      int vocab = integer(root.get("vocab_size"), "\"vocab_size\"", source);
      if (vocab != bpe.vocabSize()) {
        throw fail(source, "\"vocab_size\" is " + vocab + " but " + merges.size()
            + " merges give " + bpe.vocabSize());
      }
    }
    checkSpecialTokens(root, bpe, source);
    return bpe;
  }

  private static void checkSpecialTokens(Map<?, ?> root, ByteLevelBpe bpe, String source)
      throws TokenizerFormatException {
    if (!(root.get("special_tokens") instanceof Map)) {
      throw fail(source, "\"special_tokens\" is missing or not an object");
    }
    Map<?, ?> tokens = (Map<?, ?>) root.get("special_tokens");
    for (Map.Entry<?, ?> e : tokens.entrySet()) {
      if (!ByteLevelBpe.END_OF_TEXT.equals(e.getKey())) {
        throw fail(source, "unknown special token \"" + e.getKey() + "\"; only "
            + ByteLevelBpe.END_OF_TEXT + " is supported");
      }
      int id = integer(e.getValue(), "special token " + e.getKey(), source);
      if (id != bpe.endOfText()) {
        throw fail(source, ByteLevelBpe.END_OF_TEXT + " has id " + id + ", expected "
            + bpe.endOfText() + " (right after the merges)");
      }
    }
    if (!tokens.containsKey(ByteLevelBpe.END_OF_TEXT)) {
      throw fail(source, "\"special_tokens\" lacks " + ByteLevelBpe.END_OF_TEXT);
    }
  }

  private static String string(Map<?, ?> root, String field, String source)
      throws TokenizerFormatException {
    Object v = root.get(field);
    if (!(v instanceof String)) {
      throw fail(source, "\"" + field + "\" is " + (v == null ? "missing" : show(v))
          + ", expected a string");
    }
    return (String) v;
  }

  private static int integer(Object v, String what, String source)
      throws TokenizerFormatException {
    if (v instanceof Double) {
      double d = (Double) v;
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    throw fail(source, what + " has " + (v == null ? "nothing" : show(v))
        + ", expected an integer");
  }

  /** A parsed value back as short JSON, for error messages. */
  private static String show(Object v) {
    if (v instanceof Double && (Double) v == Math.rint((Double) v)
        && Math.abs((Double) v) < 1e15) {
      return Long.toString(((Double) v).longValue());
    }
    if (v instanceof String) {
      return "\"" + v + "\"";
    }
    if (v instanceof List) {
      StringBuilder sb = new StringBuilder("[");
      for (Object e : (List<?>) v) {
        sb.append(sb.length() > 1 ? ", " : "").append(show(e));
      }
      return sb.append(']').toString();
    }
    return v instanceof Map ? "an object" : String.valueOf(v);
  }

  private static TokenizerFormatException fail(String source, String message) {
    return new TokenizerFormatException(source + ": " + message);
  }
}
