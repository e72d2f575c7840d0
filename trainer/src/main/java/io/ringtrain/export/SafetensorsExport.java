package io.ringtrain.export;

import com.google.gson.Gson;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes parameters as Hugging Face GPT-2 safetensors ({@code GPT2LMHeadModel} loads them): an
 * 8-byte little-endian header length, a JSON header of dtype/shape/data_offsets, then raw
 * row-major float32 data. GPT-2's Conv1D layers store weights as (in, out), ours are (out, in) as
 * llm.c's, so the four matmul weights per layer are transposed. The vocabulary padding is dropped;
 * the LM head is tied to wte and, as in Hugging Face's own checkpoints, not written.
 */
public final class SafetensorsExport {
  private SafetensorsExport() {}

  private record Entry(String name, int[] shape, float[] data) {}

  public static void write(GptConfig cfg, float[] params, OutputStream out) throws IOException {
    ParameterLayout layout = new ParameterLayout(cfg);
    int c = cfg.nEmbd();
    List<Entry> entries = new ArrayList<>();
    entries.add(new Entry("transformer.wte.weight", new int[] {cfg.vocabSize(), c},
        slice(params, layout.wte(), cfg.vocabSize() * c)));
    entries.add(new Entry("transformer.wpe.weight", new int[] {cfg.blockSize(), c},
        slice(params, layout.wpe(), cfg.blockSize() * c)));
    for (int l = 0; l < cfg.nLayer(); l++) {
      ParameterLayout.Layer at = layout.layer(l);
      String h = "transformer.h." + l + ".";
      entries.add(new Entry(h + "ln_1.weight", new int[] {c}, slice(params, at.ln1w(), c)));
      entries.add(new Entry(h + "ln_1.bias", new int[] {c}, slice(params, at.ln1b(), c)));
      entries.add(new Entry(h + "attn.c_attn.weight", new int[] {c, 3 * c}, transpose(params, at.qkvw(), 3 * c, c)));
      entries.add(new Entry(h + "attn.c_attn.bias", new int[] {3 * c}, slice(params, at.qkvb(), 3 * c)));
      entries.add(new Entry(h + "attn.c_proj.weight", new int[] {c, c}, transpose(params, at.attprojw(), c, c)));
      entries.add(new Entry(h + "attn.c_proj.bias", new int[] {c}, slice(params, at.attprojb(), c)));
      entries.add(new Entry(h + "ln_2.weight", new int[] {c}, slice(params, at.ln2w(), c)));
      entries.add(new Entry(h + "ln_2.bias", new int[] {c}, slice(params, at.ln2b(), c)));
      entries.add(new Entry(h + "mlp.c_fc.weight", new int[] {c, 4 * c}, transpose(params, at.fcw(), 4 * c, c)));
      entries.add(new Entry(h + "mlp.c_fc.bias", new int[] {4 * c}, slice(params, at.fcb(), 4 * c)));
      entries.add(new Entry(h + "mlp.c_proj.weight", new int[] {4 * c, c}, transpose(params, at.fcprojw(), c, 4 * c)));
      entries.add(new Entry(h + "mlp.c_proj.bias", new int[] {c}, slice(params, at.fcprojb(), c)));
    }
    entries.add(new Entry("transformer.ln_f.weight", new int[] {c}, slice(params, layout.lnfw(), c)));
    entries.add(new Entry("transformer.ln_f.bias", new int[] {c}, slice(params, layout.lnfb(), c)));

    Map<String, Object> header = new LinkedHashMap<>();
    header.put("__metadata__", Map.of("format", "pt"));
    long offset = 0;
    for (Entry e : entries) {
      long bytes = 4L * e.data().length;
      header.put(e.name(), Map.of("dtype", "F32", "shape", e.shape(), "data_offsets", new long[] {offset, offset + bytes}));
      offset += bytes;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // keeps the data 8-byte aligned, as the reference writer does
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
    out.write(len.array());
    out.write(json);
    for (int i = json.length; i < padded; i++) out.write(' ');
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (Entry e : entries) {
      for (float f : e.data()) {
        if (!buf.hasRemaining()) {
          out.write(buf.array(), 0, buf.position());
          buf.clear();
        }
        buf.putFloat(f);
      }
    }
    out.write(buf.array(), 0, buf.position());
  }

  /** Hugging Face's config.json for this model. */
  public static String configJson(GptConfig cfg, int endOfText) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", List.of("GPT2LMHeadModel"));
    c.put("model_type", "gpt2");
    c.put("vocab_size", cfg.vocabSize());
    c.put("n_positions", cfg.blockSize());
    c.put("n_ctx", cfg.blockSize());
    c.put("n_embd", cfg.nEmbd());
    c.put("n_layer", cfg.nLayer());
    c.put("n_head", cfg.nHead());
    c.put("n_inner", null);
    c.put("activation_function", "gelu_new");
    c.put("layer_norm_epsilon", 1e-5);
    c.put("resid_pdrop", 0.0);
    c.put("embd_pdrop", 0.0);
    c.put("attn_pdrop", 0.0);
    c.put("initializer_range", 0.02);
    c.put("bos_token_id", endOfText);
    c.put("eos_token_id", endOfText);
    c.put("tie_word_embeddings", true);
    c.put("torch_dtype", "float32");
    return new com.google.gson.GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(c);
  }

  private static float[] slice(float[] p, int off, int n) {
    float[] r = new float[n];
    System.arraycopy(p, off, r, 0, n);
    return r;
  }

  /** Our (rows × cols) weight at {@code off} as GPT-2's (cols × rows). */
  private static float[] transpose(float[] p, int off, int rows, int cols) {
    float[] r = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) r[j * rows + i] = p[off + i * cols + j];
    }
    return r;
  }
}
