package io.ringtrain.tokenizer;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link ByteLevelBpe} as Hugging Face {@code tokenizers}' {@code tokenizer.json}, the file
 * {@code PreTrainedTokenizerFast} and {@code tokenizers.Tokenizer.from_file} read: GPT-2's own
 * pipeline (ByteLevel pre-tokenizer with GPT-2's regex and no prefix space, a BPE model with
 * ranked merges, ByteLevel decoder), with our ids and merges. Tokens are written as GPT-2 does,
 * each byte as the printable character of GPT-2's {@code bytes_to_unicode} table, so a space is
 * {@code Ġ}; merges are {@code "left right"} in rank order.
 *
 * <p>Encoding then gives our ids for any UTF-8 text, with three differences by design, each a
 * rule of ours that Hugging Face's pipeline has no setting for:
 * <ul>
 *   <li>The literal text {@code <|endoftext|>} is the special token in Hugging Face (added
 *       tokens are matched before pre-tokenization); ours never makes it from text, so that no
 *       document can forge a boundary. {@code encode_special_tokens = True} on the Hugging Face
 *       tokenizer (or {@code split_special_tokens=True} in transformers) gives our behaviour.
 *   <li>A run of one character class longer than {@link PreTokenizer#MAX_PIECE} bytes is cut
 *       into pieces of that size by ours and merged whole by Hugging Face's.
 *   <li>Bytes that are not UTF-8: Python strings cannot hold them, so they never reach Hugging
 *       Face's tokenizer; ours encodes them as bytes.
 * </ul>
 * Two merges that spell the same bytes (possible in BPE training, since merges join ids) cannot
 * both be written: Hugging Face's vocabulary maps each string to one id. {@link #duplicates}
 * finds them; {@link #write} refuses such a tokenizer rather than write one that encodes
 * differently.
 */
public final class HuggingFaceTokenizerJson {
  private HuggingFaceTokenizerJson() {}

  /** GPT-2's {@code bytes_to_unicode}: printable bytes stand for themselves, the others from U+0100 on. */
  private static final char[] BYTE_CHARS = new char[256];

  static {
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      BYTE_CHARS[b] = (char) (printable ? b : next++);
    }
  }

  /** A token's bytes in GPT-2's printable spelling. */
  static String spell(byte[] bytes) {
    StringBuilder sb = new StringBuilder(bytes.length);
    for (byte x : bytes) sb.append(BYTE_CHARS[x & 0xff]);
    return sb.toString();
  }

  /** Pairs of ids {@code [earlier, later]} whose tokens are the same bytes; empty for most tokenizers. */
  public static List<int[]> duplicates(ByteLevelBpe bpe) {
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<int[]> dup = new ArrayList<>();
    for (int id = 0; id < bpe.endOfText(); id++) {
      Integer before = seen.putIfAbsent(spell(bpe.tokenBytes(id)), id);
      if (before != null) dup.add(new int[] {before, id});
    }
    return dup;
  }

  /**
   * The tokenizer.json text.
   *
   * @throws IllegalArgumentException if two ids spell the same bytes (see the class comment)
   */
  public static String write(ByteLevelBpe bpe) {
    List<int[]> dup = duplicates(bpe);
    if (!dup.isEmpty()) {
      int[] d = dup.get(0);
      throw new IllegalArgumentException("ids " + d[0] + " and " + d[1] + " are both the bytes \""
          + bpe.decodeString(new int[] {d[0]}) + "\" (" + dup.size() + " such pairs): Hugging Face's tokenizer.json"
          + " maps each token string to one id, so it cannot encode as this tokenizer does");
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int id = 0; id < bpe.endOfText(); id++) vocab.put(spell(bpe.tokenBytes(id)), id);
    vocab.put(ByteLevelBpe.END_OF_TEXT, bpe.endOfText());
    List<String> merges = new ArrayList<>(bpe.mergeCount());
    for (int r = 0; r < bpe.mergeCount(); r++) {
      merges.add(spell(bpe.tokenBytes(bpe.mergeLeft(r))) + " " + spell(bpe.tokenBytes(bpe.mergeRight(r))));
    }
    Map<String, Object> byteLevel = new LinkedHashMap<>();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", true);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false); // every piece is merged, even one that is itself a token, as ours is
    model.put("vocab", vocab);
    model.put("merges", merges);
    Map<String, Object> special = new LinkedHashMap<>();
    special.put("id", bpe.endOfText());
    special.put("content", ByteLevelBpe.END_OF_TEXT);
    special.put("single_word", false);
    special.put("lstrip", false);
    special.put("rstrip", false);
    special.put("normalized", false);
    special.put("special", true);
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", "1.0");
    root.put("truncation", null);
    root.put("padding", null);
    root.put("added_tokens", List.of(special));
    root.put("normalizer", null);
    root.put("pre_tokenizer", byteLevel);
    root.put("post_processor", null);
    root.put("decoder", byteLevel);
    root.put("model", model);
    return new GsonBuilder().serializeNulls().disableHtmlEscaping().setPrettyPrinting().create().toJson(root) + "\n";
  }

  /**
   * transformers' tokenizer_config.json for {@code AutoTokenizer}: the fast tokenizer from
   * tokenizer.json, {@code <|endoftext|>} as GPT-2 uses it, and decoding without transformers'
   * cleanup of spaces before punctuation, which would change the text.
   */
  public static String tokenizerConfig(int contextLength) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("tokenizer_class", "PreTrainedTokenizerFast");
    c.put("bos_token", ByteLevelBpe.END_OF_TEXT);
    c.put("eos_token", ByteLevelBpe.END_OF_TEXT);
    c.put("unk_token", ByteLevelBpe.END_OF_TEXT);
    c.put("model_max_length", contextLength);
    c.put("add_prefix_space", false);
    c.put("clean_up_tokenization_spaces", false);
    return new GsonBuilder().setPrettyPrinting().create().toJson(c) + "\n";
  }
}
