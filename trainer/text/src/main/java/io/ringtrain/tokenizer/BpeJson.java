package io.ringtrain.tokenizer;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.IOException;
import java.io.StringReader;
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
 * <p>Parsing is Gson's, in strict (RFC 8259) mode, into its tree; objects are read member by
 * member so that a repeated name is an error rather than silently the last one wins. Numbers are
 * checked as doubles, exact for every id.
 */
final class BpeJson {
  static final String TYPE = "byte-level-bpe";
  static final int VERSION = 1;
  static final String PRE_TOKENIZER = "gpt2";

  // Gson's own tree builder, without JsonParser's wrapping of every syntax error in an unchecked
  // exception whose message repeats the cause's class name.
  private static final TypeAdapter<JsonElement> ELEMENT = new Gson().getAdapter(JsonElement.class);

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
    JsonElement parsed;
    try {
      JsonReader in = new JsonReader(new StringReader(json));
      in.setStrictness(Strictness.STRICT);
      parsed = in.peek() == JsonToken.BEGIN_OBJECT ? object(in) : ELEMENT.read(in);
      // Strict mode makes peek() reject anything after the top-level value.
      in.peek();
    } catch (IOException e) {
      throw new TokenizerFormatException(source + ": not valid JSON: " + syntaxError(e), e);
    }
    if (!parsed.isJsonObject()) {
      throw fail(source, "the top level is " + show(parsed) + ", not a JSON object");
    }
    JsonObject root = parsed.getAsJsonObject();
    String type = string(root, "type", source);
    if (!TYPE.equals(type)) {
      throw fail(source, "\"type\" is \"" + type + "\", expected \"" + TYPE + "\"");
    }
    int version = integer(root.get("version"), "\"version\"", source);
    if (version != VERSION) {
      throw fail(source, "\"version\" is " + version + "; this reader knows version " + VERSION);
    }
    if (root.has("pre_tokenizer")
        && !PRE_TOKENIZER.equals(string(root, "pre_tokenizer", source))) {
      throw fail(source, "\"pre_tokenizer\" is \"" + string(root, "pre_tokenizer", source)
          + "\", expected \"" + PRE_TOKENIZER + "\"");
    }
    if (!(root.get("merges") instanceof JsonArray merges)) {
      throw fail(source, "\"merges\" is missing or not an array");
    }
    int[] left = new int[merges.size()];
    int[] right = new int[merges.size()];
    for (int r = 0; r < merges.size(); r++) {
      JsonElement m = merges.get(r);
      if (!(m instanceof JsonArray pair) || pair.size() != 2) {
        throw fail(source, "merge " + r + " is " + show(m) + ", expected a pair [left id, right id]");
      }
      left[r] = integer(pair.get(0), "merge " + r, source);
      right[r] = integer(pair.get(1), "merge " + r, source);
    }
    ByteLevelBpe bpe;
    try {
      bpe = new ByteLevelBpe(left, right);
    } catch (IllegalArgumentException e) {
      throw fail(source, e.getMessage());
    }
    if (root.has("vocab_size")) {
      int vocab = integer(root.get("vocab_size"), "\"vocab_size\"", source);
      if (vocab != bpe.vocabSize()) {
        throw fail(source, "\"vocab_size\" is " + vocab + " but " + merges.size()
            + " merges give " + bpe.vocabSize());
      }
    }
    checkSpecialTokens(root, bpe, source);
    return bpe;
  }

  /**
   * Reads an object member by member: Gson's own tree keeps the last of repeated names silently,
   * and a file with two "merges" or two ids for a token is ambiguous, not valid.
   */
  private static JsonObject object(JsonReader in) throws IOException {
    JsonObject object = new JsonObject();
    in.beginObject();
    while (in.hasNext()) {
      String name = in.nextName();
      if (object.has(name)) {
        throw new MalformedJsonException("repeated member \"" + name + "\" at " + in.getPath());
      }
      object.add(name, in.peek() == JsonToken.BEGIN_OBJECT ? object(in) : ELEMENT.read(in));
    }
    in.endObject();
    return object;
  }

  /**
   * Gson's message, first line only (the second is a link to its troubleshooting guide), and
   * without its advice to parse leniently, which is addressed to this code, not to the file's
   * author.
   */
  private static String syntaxError(IOException e) {
    String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return message.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed "
        + "JSON", "malformed JSON");
  }

  private static void checkSpecialTokens(JsonObject root, ByteLevelBpe bpe, String source)
      throws TokenizerFormatException {
    if (!(root.get("special_tokens") instanceof JsonObject tokens)) {
      throw fail(source, "\"special_tokens\" is missing or not an object");
    }
    for (Map.Entry<String, JsonElement> e : tokens.entrySet()) {
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
    if (!tokens.has(ByteLevelBpe.END_OF_TEXT)) {
      throw fail(source, "\"special_tokens\" lacks " + ByteLevelBpe.END_OF_TEXT);
    }
  }

  private static String string(JsonObject root, String field, String source)
      throws TokenizerFormatException {
    JsonElement v = root.get(field);
    if (!(v instanceof JsonPrimitive p) || !p.isString()) {
      throw fail(source, "\"" + field + "\" is " + (v == null ? "missing" : show(v))
          + ", expected a string");
    }
    return p.getAsString();
  }

  private static int integer(JsonElement v, String what, String source)
      throws TokenizerFormatException {
    if (v instanceof JsonPrimitive p && p.isNumber()) {
      double d = p.getAsDouble();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    throw fail(source, what + " has " + (v == null ? "nothing" : show(v))
        + ", expected an integer");
  }

  /** A parsed value back as short JSON, numbers as the file wrote them, for error messages. */
  private static String show(JsonElement v) {
    if (v instanceof JsonArray array) {
      StringBuilder sb = new StringBuilder("[");
      for (JsonElement e : array) {
        sb.append(sb.length() > 1 ? ", " : "").append(show(e));
      }
      return sb.append(']').toString();
    }
    return v.isJsonObject() ? "an object" : v.toString();
  }

  private static TokenizerFormatException fail(String source, String message) {
    return new TokenizerFormatException(source + ": " + message);
  }
}
