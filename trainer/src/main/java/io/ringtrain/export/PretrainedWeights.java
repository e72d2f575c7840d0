package io.ringtrain.export;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.data.FileSystems;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.model.ParameterLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
 * hub's gpt2 is a {@code GPT2Model} checkpoint), as are the causal-mask buffers old checkpoints
 * carry. An llm.c checkpoint, as its {@code gpt2_build_from_checkpoint} reads it: 256 int32
 * header words (magic 20240326, version 3 for float32 or 5 for bfloat16, maxT, V, L, NH, C, Vp),
 * then llm.c's 16 tensors, each holding all layers in turn, in our (out, in) orientation, wte with
 * Vp rows. In both, only the real vocabulary's rows are taken (our padding rows stay zero), and a
 * context shorter than the checkpoint's takes the first rows of wpe, as nanoGPT's crop does.
 *
 * <p>Every problem is an {@link IllegalArgumentException} naming the file and what is wrong in it,
 * a truncated file by the first tensor that is incomplete.
 */
public final class PretrainedWeights {
  public static final int LLMC_MAGIC = 20240326;
  private static final int LLMC_FP32 = 3;
  private static final int LLMC_BF16 = 5;
  private static final int LLMC_HEADER_BYTES = 256 * 4;
  private static final String SAFETENSORS = "model.safetensors";
  private static final String CONFIG = "config.json";
  /** llm.c's parameter tensors after wte and wpe, in its file order (ParameterLayout's names). */
  private static final List<String> LLMC_LAYER_TENSORS = List.of("ln1w", "ln1b", "qkvw", "qkvb", "attprojw",
      "attprojb", "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb");

  /** The shape a checkpoint holds; {@code positions} is its longest context. */
  public record Shape(int nLayer, int nHead, int nEmbd, int positions, int vocabSize) {}

  private final Path file;
  private final boolean llmc;
  private final Shape shape;
  private final FileSystem fs;

  private PretrainedWeights(FileSystem fs, Path file, boolean llmc, Shape shape) {
    this.fs = fs;
    this.file = file;
    this.llmc = llmc;
    this.shape = shape;
  }

  /** Opens {@code source} and reads its shape (config.json or the llm.c header); no tensors yet. */
  public static PretrainedWeights open(String source) throws IOException {
    Path p = new Path(source);
    FileSystem fs = p.getFileSystem(FileSystems.configuration());
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
    if (fs.getFileStatus(p).getLen() >= 4 && firstInt(fs, p) == LLMC_MAGIC) {
      return new PretrainedWeights(fs, p, true, llmcShape(fs, p));
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
    return new PretrainedWeights(fs, p, false, hfShape(fs, config));
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
    StringBuilder wrong = new StringBuilder();
    differs(wrong, "n_layer", shape.nLayer(), cfg.nLayer());
    differs(wrong, "n_head", shape.nHead(), cfg.nHead());
    differs(wrong, "n_embd", shape.nEmbd(), cfg.nEmbd());
    differs(wrong, "vocab_size", shape.vocabSize(), cfg.vocabSize());
    if (cfg.blockSize() > shape.positions()) {
      wrong.append(wrong.length() > 0 ? ", " : "").append("block_size ").append(cfg.blockSize())
          .append(" is longer than its ").append(shape.positions()).append(" positions");
    }
    if (wrong.length() > 0) {
      throw new IllegalArgumentException("--init-from " + file + " does not fit the job's model: " + wrong
          + ". Leave the model flags out (the shape is then the checkpoint's) or match them; a vocabulary that"
          + " differs needs data tokenized with the checkpoint's tokenizer");
    }
  }

  /** Puts the weights into {@code model}'s parameters (the padding rows of wte are zeroed). */
  public void loadInto(GptModel model) throws IOException {
    GptConfig cfg = model.config();
    checkFits(cfg);
    float[] params = model.params();
    java.util.Arrays.fill(params, 0f);
    try (FSDataInputStream in = fs.open(file)) {
      if (llmc) {
        loadLlmc(in, model.layout(), params);
      } else {
        loadSafetensors(in, cfg, params);
      }
    }
    model.paramsWritten();
  }

  private static void differs(StringBuilder wrong, String field, int theirs, int ours) {
    if (theirs != ours) {
      wrong.append(wrong.length() > 0 ? ", " : "").append(field).append(" is ").append(theirs).append(" there but ")
          .append(ours).append(" here");
    }
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
    return new Shape(intField(c, config, "n_layer"), intField(c, config, "n_head"), intField(c, config, "n_embd"),
        intField(c, config, "n_positions"), intField(c, config, "vocab_size"));
  }

  private static int intField(JsonObject c, Path config, String name) {
    JsonElement v = c.get(name);
    if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || v.getAsInt() <= 0) {
      throw new IllegalArgumentException(config + " lacks a positive integer \"" + name + "\"");
    }
    return v.getAsInt();
  }

  private record Entry(String dtype, List<Integer> shape, long start, long end) {}

  private void loadSafetensors(FSDataInputStream in, GptConfig cfg, float[] params) throws IOException {
    long length = fs.getFileStatus(file).getLen();
    if (length < 8) throw new IllegalArgumentException(file + " is truncated: " + length + " bytes, no header");
    byte[] lenBytes = new byte[8];
    in.readFully(0, lenBytes);
    long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen <= 0 || headerLen > length - 8 || headerLen > (100 << 20)) {
      throw new IllegalArgumentException(file + " is not a safetensors file, or is truncated: its header claims "
          + headerLen + " bytes of the " + (length - 8) + " after the length word");
    }
    byte[] json = new byte[(int) headerLen];
    in.readFully(8, json);
    Map<String, Entry> entries = header(json);
    long dataStart = 8 + headerLen;
    long dataLen = length - dataStart;
    Map<String, HfGpt2Tensors.Tensor> wanted = new HashMap<>();
    for (HfGpt2Tensors.Tensor t : HfGpt2Tensors.of(cfg)) wanted.put(t.name(), t);
    Map<String, Entry> found = new HashMap<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      String name = e.getKey().startsWith(HfGpt2Tensors.PREFIX) ? e.getKey() : HfGpt2Tensors.PREFIX + e.getKey();
      if (wanted.containsKey(name)) {
        found.put(name, e.getValue());
      } else if (!isIgnorable(e.getKey())) {
        throw new IllegalArgumentException(file + " holds tensor " + e.getKey() + ", which is not part of a GPT-2"
            + " language model");
      }
    }
    for (HfGpt2Tensors.Tensor t : HfGpt2Tensors.of(cfg)) {
      Entry e = found.get(t.name());
      if (e == null) throw new IllegalArgumentException(file + " lacks tensor " + t.name());
      List<Integer> want = t.shape();
      // A longer context than the job's: the job takes the first rows of wpe.
      boolean cropped = t.name().endsWith("wpe.weight") && e.shape().size() == 2 && e.shape().get(0) >= want.get(0)
          && e.shape().get(1).equals(want.get(1));
      if (!cropped && !e.shape().equals(want)) {
        throw new IllegalArgumentException(file + ": tensor " + t.name() + " has shape " + e.shape() + ", expected "
            + want);
      }
      int width = bytesPer(e.dtype(), t.name());
      long elements = 1;
      for (int d : e.shape()) elements *= d;
      if (e.end() - e.start() != elements * width || e.start() < 0) {
        throw new IllegalArgumentException(file + ": tensor " + t.name() + " has data_offsets [" + e.start() + ", "
            + e.end() + "), which do not hold " + elements + " " + e.dtype() + " values");
      }
      if (e.end() > dataLen) {
        throw new IllegalArgumentException(file + " is truncated: tensor " + t.name() + " needs bytes [" + e.start()
            + ", " + e.end() + ") of the data but the file holds " + dataLen + "; copy or download it again");
      }
      t.write(values(in, dataStart + e.start(), t.size(), width), params);
    }
  }

  /** Causal-mask buffers that GPT-2 checkpoints of older transformers carry, and the tied head. */
  private static boolean isIgnorable(String name) {
    return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.equals("lm_head.weight");
  }

  private Map<String, Entry> header(byte[] json) {
    JsonObject h;
    try {
      h = JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " has a header that is not a JSON object: " + e.getMessage());
    }
    Map<String, Entry> entries = new HashMap<>();
    for (Map.Entry<String, JsonElement> e : h.entrySet()) {
      if (e.getKey().equals("__metadata__")) continue;
      try {
        JsonObject t = e.getValue().getAsJsonObject();
        List<Integer> shape = new java.util.ArrayList<>();
        for (JsonElement d : t.getAsJsonArray("shape")) shape.add(d.getAsInt());
        var offsets = t.getAsJsonArray("data_offsets");
        entries.put(e.getKey(), new Entry(t.get("dtype").getAsString(), shape, offsets.get(0).getAsLong(),
            offsets.get(1).getAsLong()));
      } catch (RuntimeException x) {
        throw new IllegalArgumentException(file + ": the header entry of tensor " + e.getKey()
            + " lacks dtype, shape or data_offsets");
      }
    }
    return entries;
  }

  private int bytesPer(String dtype, String tensor) {
    return switch (dtype) {
      case "F32" -> 4;
      case "BF16" -> 2;
      default -> throw new IllegalArgumentException(file + ": tensor " + tensor + " is " + dtype
          + "; --init-from reads F32 and BF16 (convert the checkpoint to float32)");
    };
  }

  // ---- llm.c ----

  private static Shape llmcShape(FileSystem fs, Path p) throws IOException {
    int[] h = llmcHeader(fs, p);
    int version = h[1];
    if (version != LLMC_FP32 && version != LLMC_BF16) {
      throw new IllegalArgumentException(p + " is llm.c checkpoint version " + version + "; ringtrain reads versions "
          + LLMC_FP32 + " (float32) and " + LLMC_BF16 + " (bfloat16), which llm.c's train_gpt2.py writes");
    }
    for (int i = 2; i <= 7; i++) {
      if (h[i] <= 0) throw new IllegalArgumentException(p + ": llm.c header word " + i + " is " + h[i]);
    }
    if (h[7] < h[3]) {
      throw new IllegalArgumentException(p + ": padded vocabulary " + h[7] + " is smaller than the vocabulary " + h[3]);
    }
    return new Shape(h[4], h[5], h[6], h[2], h[3]);
  }

  private static int[] llmcHeader(FileSystem fs, Path p) throws IOException {
    if (fs.getFileStatus(p).getLen() < LLMC_HEADER_BYTES) {
      throw new IllegalArgumentException(p + " is truncated: shorter than llm.c's " + LLMC_HEADER_BYTES + "-byte header");
    }
    byte[] b = new byte[LLMC_HEADER_BYTES];
    try (FSDataInputStream in = fs.open(p)) {
      in.readFully(0, b);
    }
    int[] h = new int[256];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(h);
    return h;
  }

  private void loadLlmc(FSDataInputStream in, ParameterLayout layout, float[] params) throws IOException {
    int[] h = llmcHeader(fs, file);
    int width = h[1] == LLMC_BF16 ? 2 : 4;
    int maxT = h[2];
    int c = h[6];
    int vp = h[7];
    GptConfig cfg = layout.config();
    long at = LLMC_HEADER_BYTES;
    long length = fs.getFileStatus(file).getLen();
    at = llmcTensor(in, at, (long) vp * c, width, length, "wte", params, layout.wte(), cfg.vocabSize() * c);
    at = llmcTensor(in, at, (long) maxT * c, width, length, "wpe", params, layout.wpe(), cfg.blockSize() * c);
    for (String kind : LLMC_LAYER_TENSORS) {
      for (int l = 0; l < cfg.nLayer(); l++) {
        ParameterLayout.Tensor t = layout.tensor("h" + l + "." + kind);
        at = llmcTensor(in, at, t.size(), width, length, kind + " of layer " + l, params, t.offset(), t.size());
      }
    }
    at = llmcTensor(in, at, c, width, length, "lnfw", params, layout.lnfw(), c);
    at = llmcTensor(in, at, c, width, length, "lnfb", params, layout.lnfb(), c);
    if (at != length) {
      throw new IllegalArgumentException(file + " has " + (length - at) + " bytes after llm.c's last tensor (lnfb):"
          + " not a checkpoint of the shape its header gives");
    }
  }

  /** Reads the first {@code take} of a tensor's {@code count} values at {@code at}; returns its end. */
  private long llmcTensor(FSDataInputStream in, long at, long count, int width, long length, String name,
      float[] params, int offset, int take) throws IOException {
    long end = at + count * width;
    if (end > length) {
      throw new IllegalArgumentException(file + " is truncated: llm.c tensor " + name + " needs bytes [" + at + ", "
          + end + ") but the file has " + length + "; copy or download it again");
    }
    float[] v = values(in, at, take, width);
    System.arraycopy(v, 0, params, offset, take);
    return end;
  }

  // ---- shared ----

  /** {@code n} little-endian float32 (width 4) or bfloat16 (width 2) values at {@code position}. */
  private static float[] values(FSDataInputStream in, long position, int n, int width) throws IOException {
    byte[] raw = new byte[n * width];
    in.readFully(position, raw);
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[n];
    if (width == 4) {
      b.asFloatBuffer().get(v);
    } else {
      // bfloat16 is the high half of a float32.
      for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
    }
    return v;
  }

  private static int firstInt(FileSystem fs, Path p) throws IOException {
    byte[] b = new byte[4];
    try (FSDataInputStream in = fs.open(p)) {
      in.readFully(0, b);
    }
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }
}
