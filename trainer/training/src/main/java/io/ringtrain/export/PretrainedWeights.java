package io.ringtrain.export;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.model.ParameterLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Weights to start training from ({@code --init-from}): a Hugging Face GPT-2 folder
 * ({@code model.safetensors} and its {@code config.json}, or the .safetensors file with
 * config.json beside it), or an llm.c checkpoint ({@code gpt2_124M.bin}).
 *
 * <p>Hugging Face tensors are placed by {@link HfGpt2Tensors}, the mapping {@code export} writes
 * with, Conv1D transposes included; names with or without {@code transformer.} are accepted (the
 * hub's gpt2 is a {@code GPT2Model} checkpoint), and so are the causal-mask buffers and the tied
 * LM head that some checkpoints carry. An llm.c checkpoint is read as llm.c's
 * {@code gpt2_build_from_checkpoint} reads it: 256 int32 header words (magic 20240326, version 3
 * for float32 or 5 for bfloat16, maxT, V, L, NH, C, Vp), then llm.c's 16 tensors, each holding all
 * layers in turn, in our (out, in) orientation, wte with Vp rows. In both, only the real
 * vocabulary's rows are taken (our padding rows stay zero), and a context shorter than the
 * checkpoint's takes the first rows of wpe, as nanoGPT's crop does.
 *
 * <p>{@link #open} reads the shape and checks the whole file's structure against it, so a
 * truncated or foreign file is refused before a run writes anything; every problem is an
 * {@link IllegalArgumentException} naming the file and what is wrong, a truncated file by the
 * first tensor that is incomplete.
 */
public final class PretrainedWeights {
  private static final int LLMC_MAGIC = 20240326;
  private static final int LLMC_FP32 = 3;
  private static final int LLMC_BF16 = 5;
  private static final int LLMC_HEADER_WORDS = 256;
  private static final String SAFETENSORS = "model.safetensors";
  private static final String CONFIG = "config.json";
  /** llm.c's parameter tensors after wte and wpe, in its file order, by ParameterLayout's names. */
  private static final List<String> LLMC_LAYER_TENSORS = List.of("ln1w", "ln1b", "qkvw", "qkvb", "attprojw",
      "attprojb", "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb");

  /** The shape a checkpoint holds; {@code positions} is its longest context. */
  public record Shape(int nLayer, int nHead, int nEmbd, int positions, int vocabSize) {
    GptConfig config() {
      return GptConfig.of(nLayer, nHead, nEmbd, positions, vocabSize);
    }
  }

  /** Where one tensor's values start in the file, and their encoding (4: float32, 2: bfloat16). */
  private record Stored(long position, int width) {}

  private final FileSystem fs;
  private final Path file;
  private final Shape shape;
  private final boolean llmc;
  /** By ParameterLayout name for llm.c, by Hugging Face name (with the prefix) for safetensors. */
  private final Map<String, Stored> stored;

  private PretrainedWeights(FileSystem fs, Path file, Shape shape, boolean llmc, Map<String, Stored> stored) {
    this.fs = fs;
    this.file = file;
    this.shape = shape;
    this.llmc = llmc;
    this.stored = stored;
  }

  /** Opens {@code source}: its shape (config.json or the llm.c header) and where each tensor is, all checked. */
  public static PretrainedWeights open(String source) throws IOException {
    Path p = new Path(source);
    FileSystem fs = p.getFileSystem(HadoopConf.configuration());
    if (!fs.exists(p)) {
      throw new IllegalArgumentException("--init-from " + source + " does not exist");
    }
    if (fs.getFileStatus(p).isDirectory()) {
      Path st = new Path(p, SAFETENSORS);
      if (!fs.exists(st)) {
        throw new IllegalArgumentException("--init-from " + source + " has no " + SAFETENSORS + ": pass a Hugging Face"
            + " GPT-2 folder (" + SAFETENSORS + " and " + CONFIG + ") or an llm.c checkpoint file");
      }
      p = st;
    }
    long length = fs.getFileStatus(p).getLen();
    if (length >= 4 && ByteBuffer.wrap(bytes(fs, p, 0, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt() == LLMC_MAGIC) {
      return openLlmc(fs, p, length);
    }
    if (!p.getName().endsWith(".safetensors")) {
      throw new IllegalArgumentException("--init-from " + p + " is neither an llm.c checkpoint (its first word is not "
          + LLMC_MAGIC + ") nor a .safetensors file");
    }
    Path config = new Path(p.getParent(), CONFIG);
    if (!fs.exists(config)) {
      throw new IllegalArgumentException(p + " needs the " + CONFIG + " that gives its shape beside it: " + config
          + " is missing");
    }
    return openSafetensors(fs, p, length, hfShape(fs, config));
  }

  /** The file the tensors come from. */
  public Path file() {
    return file;
  }

  public Shape shape() {
    return shape;
  }

  /**
   * Whether a model of {@code cfg}'s shape can take these weights: the same layers, heads, width
   * and vocabulary, and a context no longer than the checkpoint's.
   *
   * @throws IllegalArgumentException naming each field that differs
   */
  public void checkFits(GptConfig cfg) {
    List<String> wrong = new ArrayList<>();
    differs(wrong, "n_layer", shape.nLayer(), cfg.nLayer());
    differs(wrong, "n_head", shape.nHead(), cfg.nHead());
    differs(wrong, "n_embd", shape.nEmbd(), cfg.nEmbd());
    differs(wrong, "vocab_size", shape.vocabSize(), cfg.vocabSize());
    if (cfg.blockSize() > shape.positions()) {
      wrong.add("block_size " + cfg.blockSize() + " is longer than its " + shape.positions() + " positions");
    }
    if (!wrong.isEmpty()) {
      throw new IllegalArgumentException("--init-from " + file + " does not fit the job's model: "
          + String.join(", ", wrong) + ". Leave the model flags out (the shape is then the checkpoint's) or match"
          + " them; a vocabulary that differs needs data tokenized with the checkpoint's tokenizer");
    }
  }

  /** Puts the weights into {@code model}'s parameters; the padding rows of wte are zero. */
  public void loadInto(GptModel model) throws IOException {
    GptConfig cfg = model.config();
    checkFits(cfg);
    float[] params = model.params();
    Arrays.fill(params, 0f);
    try (FSDataInputStream in = fs.open(file)) {
      if (llmc) {
        ParameterLayout layout = model.layout();
        for (ParameterLayout.Tensor t : layout.tensors()) {
          // Of wte the real vocabulary's rows, of wpe the job's context: both are row-major prefixes.
          int take = t.name().equals("wte") ? cfg.vocabSize() * cfg.nEmbd()
              : t.name().equals("wpe") ? cfg.blockSize() * cfg.nEmbd() : t.size();
          System.arraycopy(values(in, stored.get(t.name()), take), 0, params, t.offset(), take);
        }
      } else {
        for (HfGpt2Tensors.Tensor t : HfGpt2Tensors.of(cfg)) {
          t.write(values(in, stored.get(t.name()), t.size()), params);
        }
      }
    }
    model.paramsWritten();
  }

  private static void differs(List<String> wrong, String field, int theirs, int ours) {
    if (theirs != ours) wrong.add(field + " is " + theirs + " there but " + ours + " here");
  }

  // ---- Hugging Face ----

  private static Shape hfShape(FileSystem fs, Path config) throws IOException {
    JsonObject c;
    try (InputStream in = fs.open(config)) {
      JsonElement e = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      if (!e.isJsonObject()) throw new IllegalArgumentException(config + " is not a JSON object");
      c = e.getAsJsonObject();
    } catch (com.google.gson.JsonParseException e) {
      throw new IllegalArgumentException(config + " is not valid JSON: " + e.getMessage());
    }
    String type = c.has("model_type") ? c.get("model_type").getAsString() : "gpt2";
    if (!type.equals("gpt2")) {
      throw new IllegalArgumentException(config + " describes a " + type + " model; --init-from takes GPT-2 weights");
    }
    String act = c.has("activation_function") ? c.get("activation_function").getAsString() : "gelu_new";
    if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
      throw new IllegalArgumentException(config + " has activation_function " + act + "; ringtrain's GPT uses GPT-2's"
          + " tanh approximation (gelu_new)");
    }
    if (c.has("tie_word_embeddings") && !c.get("tie_word_embeddings").getAsBoolean()) {
      throw new IllegalArgumentException(config + " has an LM head of its own (tie_word_embeddings false); ringtrain's"
          + " GPT ties it to wte");
    }
    int nEmbd = intField(c, config, "n_embd");
    int nHead = intField(c, config, "n_head");
    if (nEmbd % nHead != 0) {
      throw new IllegalArgumentException(config + ": n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
    }
    return new Shape(intField(c, config, "n_layer"), nHead, nEmbd, intField(c, config, "n_positions"),
        intField(c, config, "vocab_size"));
  }

  private static int intField(JsonObject c, Path config, String name) {
    JsonElement v = c.get(name);
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || v.getAsInt() <= 0) {
      throw new IllegalArgumentException(config + " lacks a positive integer \"" + name + "\"");
    }
    return v.getAsInt();
  }

  private static PretrainedWeights openSafetensors(FileSystem fs, Path file, long length, Shape shape)
      throws IOException {
    if (length < 8) throw new IllegalArgumentException(file + " is truncated: " + length + " bytes, no header");
    long headerLen = ByteBuffer.wrap(bytes(fs, file, 0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen <= 0 || headerLen > length - 8 || headerLen > (100 << 20)) {
      throw new IllegalArgumentException(file + " is not a safetensors file, or is truncated: its header claims "
          + headerLen + " bytes of the " + (length - 8) + " after the length word");
    }
    JsonObject header;
    try {
      header = JsonParser.parseString(new String(bytes(fs, file, 8, (int) headerLen), StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " has a header that is not a JSON object: " + e.getMessage());
    }
    Map<String, JsonObject> entries = new HashMap<>();
    for (Map.Entry<String, JsonElement> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) continue;
      String name = e.getKey().startsWith(HfGpt2Tensors.PREFIX) ? e.getKey() : HfGpt2Tensors.PREFIX + e.getKey();
      if (e.getValue().isJsonObject()) entries.put(name, e.getValue().getAsJsonObject());
    }
    long dataStart = 8 + headerLen;
    Map<String, Stored> stored = new HashMap<>();
    for (HfGpt2Tensors.Tensor t : HfGpt2Tensors.of(shape.config())) {
      JsonObject e = entries.remove(t.name());
      if (e == null) throw new IllegalArgumentException(file + " lacks tensor " + t.name());
      stored.put(t.name(), safetensor(file, t, e, dataStart, length));
    }
    for (String extra : entries.keySet()) {
      if (!isIgnorable(extra)) {
        throw new IllegalArgumentException(file + " holds tensor " + extra + ", which is not part of a GPT-2 language"
            + " model");
      }
    }
    return new PretrainedWeights(fs, file, shape, false, stored);
  }

  /** One header entry, checked: the dtype, the shape config.json implies, offsets inside the file. */
  private static Stored safetensor(Path file, HfGpt2Tensors.Tensor t, JsonObject e, long dataStart, long length) {
    String dtype;
    List<Integer> shape = new ArrayList<>();
    long start;
    long end;
    try {
      dtype = e.get("dtype").getAsString();
      for (JsonElement d : e.getAsJsonArray("shape")) shape.add(d.getAsInt());
      start = e.getAsJsonArray("data_offsets").get(0).getAsLong();
      end = e.getAsJsonArray("data_offsets").get(1).getAsLong();
    } catch (RuntimeException x) {
      throw new IllegalArgumentException(file + ": the header entry of " + t.name() + " lacks dtype, shape or"
          + " data_offsets");
    }
    if (!shape.equals(t.shape())) {
      throw new IllegalArgumentException(file + ": tensor " + t.name() + " has shape " + shape + ", but " + CONFIG
          + " implies " + t.shape());
    }
    int width = switch (dtype) {
      case "F32" -> 4;
      case "BF16" -> 2;
      default -> throw new IllegalArgumentException(file + ": tensor " + t.name() + " is " + dtype
          + "; --init-from reads F32 and BF16 (convert the checkpoint to float32)");
    };
    if (start < 0 || end - start != (long) t.size() * width) {
      throw new IllegalArgumentException(file + ": tensor " + t.name() + " has data_offsets [" + start + ", " + end
          + "), which do not hold its " + t.size() + " " + dtype + " values");
    }
    if (dataStart + end > length) {
      throw new IllegalArgumentException(file + " is truncated: tensor " + t.name() + " needs bytes [" + start + ", "
          + end + ") of the data but the file holds " + (length - dataStart) + "; copy or download it again");
    }
    return new Stored(dataStart + start, width);
  }

  /** Causal-mask buffers that checkpoints of older transformers carry, and the LM head tied to wte. */
  private static boolean isIgnorable(String name) {
    return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")
        || name.equals(HfGpt2Tensors.PREFIX + "lm_head.weight");
  }

  // ---- llm.c ----

  private static PretrainedWeights openLlmc(FileSystem fs, Path file, long length) throws IOException {
    if (length < 4 * LLMC_HEADER_WORDS) {
      throw new IllegalArgumentException(file + " is truncated: shorter than llm.c's " + 4 * LLMC_HEADER_WORDS
          + "-byte header");
    }
    int[] h = new int[LLMC_HEADER_WORDS];
    ByteBuffer.wrap(bytes(fs, file, 0, 4 * LLMC_HEADER_WORDS)).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(h);
    if (h[1] != LLMC_FP32 && h[1] != LLMC_BF16) {
      throw new IllegalArgumentException(file + " is llm.c checkpoint version " + h[1] + "; ringtrain reads versions "
          + LLMC_FP32 + " (float32) and " + LLMC_BF16 + " (bfloat16), which llm.c's train_gpt2.py writes");
    }
    for (int i = 2; i <= 7; i++) {
      if (h[i] <= 0) throw new IllegalArgumentException(file + ": llm.c header word " + i + " is " + h[i]);
    }
    int maxT = h[2];
    int v = h[3];
    int c = h[6];
    int vp = h[7];
    if (vp < v) throw new IllegalArgumentException(file + ": padded vocabulary " + vp + " is smaller than " + v);
    if (c % h[5] != 0) {
      throw new IllegalArgumentException(file + ": channels " + c + " is not a multiple of heads " + h[5]);
    }
    Shape shape = new Shape(h[4], h[5], c, maxT, v);
    ParameterLayout own = new ParameterLayout(shape.config());
    int width = h[1] == LLMC_BF16 ? 2 : 4;
    Map<String, Stored> stored = new HashMap<>();
    long at = 4L * LLMC_HEADER_WORDS;
    at = llmcTensor(file, length, stored, "wte", at, (long) vp * c, width);
    at = llmcTensor(file, length, stored, "wpe", at, (long) maxT * c, width);
    for (String kind : LLMC_LAYER_TENSORS) {
      for (int l = 0; l < shape.nLayer(); l++) {
        String name = "h" + l + "." + kind;
        at = llmcTensor(file, length, stored, name, at, own.tensor(name).size(), width);
      }
    }
    at = llmcTensor(file, length, stored, "lnfw", at, c, width);
    at = llmcTensor(file, length, stored, "lnfb", at, c, width);
    if (at != length) {
      throw new IllegalArgumentException(file + " has " + (length - at) + " bytes after llm.c's last tensor (lnfb):"
          + " not a checkpoint of the shape its header gives");
    }
    return new PretrainedWeights(fs, file, shape, true, stored);
  }

  /** Records a tensor of {@code count} values at {@code at}; returns where the next one starts. */
  private static long llmcTensor(Path file, long length, Map<String, Stored> stored, String name, long at,
      long count, int width) {
    long end = at + count * width;
    if (end > length) {
      throw new IllegalArgumentException(file + " is truncated: llm.c tensor " + name + " needs bytes [" + at + ", "
          + end + ") but the file has " + length + "; copy or download it again");
    }
    stored.put(name, new Stored(at, width));
    return end;
  }

  // ---- shared ----

  /** The first {@code n} values of a stored tensor, little-endian float32 or bfloat16. */
  private static float[] values(FSDataInputStream in, Stored s, int n) throws IOException {
    byte[] raw = new byte[n * s.width()];
    in.readFully(s.position(), raw);
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[n];
    if (s.width() == 4) {
      b.asFloatBuffer().get(v);
    } else {
      // bfloat16 is the high half of a float32.
      for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
    }
    return v;
  }

  private static byte[] bytes(FileSystem fs, Path p, long position, int n) throws IOException {
    byte[] b = new byte[n];
    try (FSDataInputStream in = fs.open(p)) {
      in.readFully(position, b);
    }
    return b;
  }
}
