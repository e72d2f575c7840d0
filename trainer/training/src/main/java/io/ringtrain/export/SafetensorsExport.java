package io.ringtrain.export;

import com.google.gson.Gson;
import io.ringtrain.model.GptConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes parameters as Hugging Face GPT-2 safetensors ({@code GPT2LMHeadModel} loads them): an
 * 8-byte little-endian header length, a JSON header of dtype/shape/data_offsets, then raw
 * row-major float32 data. The tensors, their names and the Conv1D transposes are
 * {@link HfGpt2Tensors}'s: the vocabulary padding is dropped and the tied LM head not written.
 */
public final class SafetensorsExport {
  private SafetensorsExport() {}

  public static void write(GptConfig cfg, float[] params, OutputStream out) throws IOException {
    List<HfGpt2Tensors.Tensor> tensors = HfGpt2Tensors.of(cfg);
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("__metadata__", Map.of("format", "pt"));
    long offset = 0;
    for (HfGpt2Tensors.Tensor t : tensors) {
      long bytes = 4L * t.size();
      header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape(), "data_offsets", new long[] {offset, offset + bytes}));
      offset += bytes;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // keeps the data 8-byte aligned, as the reference writer does
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
    out.write(len.array());
    out.write(json);
    for (int i = json.length; i < padded; i++) out.write(' ');
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (HfGpt2Tensors.Tensor t : tensors) {
      for (float f : t.read(params)) {
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
}
