package io.ringtrain.export;

import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face GPT-2's tensors ({@code GPT2LMHeadModel}'s state-dict names and shapes) and where
 * each one lives in our flat parameter array: the one mapping that {@code export} writes and
 * {@code --init-from} reads.
 *
 * <p>GPT-2's Conv1D layers store their weights as (in, out); ours, like llm.c's and
 * {@code nn.Linear}'s, are (out, in), so the four matmul weights of every layer are transposed,
 * both ways by the same rule. {@code wte} has the real vocabulary's rows only: the padding rows
 * are an artefact of our matmul sizes, not part of the model. The LM head is tied to {@code wte}
 * and, as in Hugging Face's own checkpoints, has no tensor of its own.
 */
public final class HfGpt2Tensors {
  /** Prefix of {@code GPT2LMHeadModel}'s names; {@code GPT2Model} checkpoints (the hub's gpt2) lack it. */
  public static final String PREFIX = "transformer.";

  /**
   * One tensor: its Hugging Face name (with {@link #PREFIX}) and shape, and our row-major
   * {@code rows x cols} block at {@code offset}, which is the transpose of the Hugging Face
   * tensor when {@code transposed}.
   */
  public record Tensor(String name, List<Integer> shape, int offset, int rows, int cols, boolean transposed) {
    public int size() {
      return rows * cols;
    }

    /** This tensor's values in Hugging Face's order, taken from our parameters. */
    public float[] read(float[] params) {
      float[] r = new float[size()];
      if (!transposed) {
        System.arraycopy(params, offset, r, 0, r.length);
        return r;
      }
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) r[j * rows + i] = params[offset + i * cols + j];
      }
      return r;
    }

    /** Puts values in Hugging Face's order into our parameters. */
    public void write(float[] values, float[] params) {
      if (values.length != size()) {
        throw new IllegalArgumentException(name + " has " + values.length + " values, expected " + size());
      }
      if (!transposed) {
        System.arraycopy(values, 0, params, offset, values.length);
        return;
      }
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) params[offset + i * cols + j] = values[j * rows + i];
      }
    }
  }

  private HfGpt2Tensors() {}

  /** Every tensor of a model of this shape, in the order Hugging Face's model declares them. */
  public static List<Tensor> of(GptConfig cfg) {
    ParameterLayout layout = new ParameterLayout(cfg);
    int c = cfg.nEmbd();
    List<Tensor> t = new ArrayList<>();
    t.add(plain(PREFIX + "wte.weight", layout.wte(), cfg.vocabSize(), c));
    t.add(plain(PREFIX + "wpe.weight", layout.wpe(), cfg.blockSize(), c));
    for (int l = 0; l < cfg.nLayer(); l++) {
      ParameterLayout.Layer at = layout.layer(l);
      String h = PREFIX + "h." + l + ".";
      t.add(vector(h + "ln_1.weight", at.ln1w(), c));
      t.add(vector(h + "ln_1.bias", at.ln1b(), c));
      t.add(conv1d(h + "attn.c_attn.weight", at.qkvw(), 3 * c, c));
      t.add(vector(h + "attn.c_attn.bias", at.qkvb(), 3 * c));
      t.add(conv1d(h + "attn.c_proj.weight", at.attprojw(), c, c));
      t.add(vector(h + "attn.c_proj.bias", at.attprojb(), c));
      t.add(vector(h + "ln_2.weight", at.ln2w(), c));
      t.add(vector(h + "ln_2.bias", at.ln2b(), c));
      t.add(conv1d(h + "mlp.c_fc.weight", at.fcw(), 4 * c, c));
      t.add(vector(h + "mlp.c_fc.bias", at.fcb(), 4 * c));
      t.add(conv1d(h + "mlp.c_proj.weight", at.fcprojw(), c, 4 * c));
      t.add(vector(h + "mlp.c_proj.bias", at.fcprojb(), c));
    }
    t.add(vector(PREFIX + "ln_f.weight", layout.lnfw(), c));
    t.add(vector(PREFIX + "ln_f.bias", layout.lnfb(), c));
    return t;
  }

  private static Tensor plain(String name, int offset, int rows, int cols) {
    return new Tensor(name, List.of(rows, cols), offset, rows, cols, false);
  }

  private static Tensor vector(String name, int offset, int n) {
    return new Tensor(name, List.of(n), offset, 1, n, false);
  }

  /** Our (out x in) weight, which Hugging Face's Conv1D holds as (in x out). */
  private static Tensor conv1d(String name, int offset, int out, int in) {
    return new Tensor(name, List.of(in, out), offset, out, in, true);
  }
}
