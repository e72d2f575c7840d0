package io.ringtrain.tokenizer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
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
 * <p>Parsing goes through protobuf's {@code JsonFormat} into a {@code Struct}: a strict JSON
 * parser that the trainer module already compiles against (Gson is only on its runtime path).
 * Numbers arrive as doubles, exact for every id below 2^53.
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
    Struct.Builder builder = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new TokenizerFormatException(source + ": not a JSON object: " + e.getMessage(), e);
    }
    Map<String, Value> root = builder.getFieldsMap();
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
    Value mergesValue = root.get("merges");
    if (mergesValue == null || !mergesValue.hasListValue()) {
      throw fail(source, "\"merges\" is missing or not an array");
    }
    List<Value> merges = mergesValue.getListValue().getValuesList();
    int[] left = new int[merges.size()];
    int[] right = new int[merges.size()];
    for (int r = 0; r < merges.size(); r++) {
      Value m = merges.get(r);
      if (!m.hasListValue() || m.getListValue().getValuesCount() != 2) {
        throw fail(source, "merge " + r + " is " + show(m) + ", expected a pair [left id, right id]");
      }
      left[r] = integer(m.getListValue().getValues(0), "merge " + r, source);
      right[r] = integer(m.getListValue().getValues(1), "merge " + r, source);
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

  private static void checkSpecialTokens(Map<String, Value> root, ByteLevelBpe bpe,
      String source) throws TokenizerFormatException {
    Value special = root.get("special_tokens");
    if (special == null || !special.hasStructValue()) {
      throw fail(source, "\"special_tokens\" is missing or not an object");
    }
    Map<String, Value> tokens = special.getStructValue().getFieldsMap();
    for (Map.Entry<String, Value> e : tokens.entrySet()) {
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

  private static String string(Map<String, Value> root, String field, String source)
      throws TokenizerFormatException {
    Value v = root.get(field);
    if (v == null || !v.hasStringValue()) {
      throw fail(source, "\"" + field + "\" is missing or not a string");
    }
    return v.getStringValue();
  }

  private static int integer(Value v, String what, String source)
      throws TokenizerFormatException {
    if (v != null && v.hasNumberValue()) {
      double d = v.getNumberValue();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    throw fail(source, what + " has " + (v == null ? "nothing" : show(v))
        + ", expected an integer");
  }

  /** A value as compact JSON, for error messages. */
  private static String show(Value v) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(v);
    } catch (InvalidProtocolBufferException e) {
      return v.getKindCase().toString();
    }
  }

  private static TokenizerFormatException fail(String source, String message) {
    return new TokenizerFormatException(source + ": " + message);
  }
}
