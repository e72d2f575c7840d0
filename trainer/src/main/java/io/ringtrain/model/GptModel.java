package io.ringtrain.model;

import io.ringtrain.kernels.Backend;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * GPT-2 with hand-written forward and backward passes, after llm.c's train_gpt2.c: token +
 * position embeddings, pre-LayerNorm blocks (causal multi-head attention, GELU MLP), a final
 * LayerNorm and an LM head tied to the token embedding.
 *
 * <p>Parameters and gradients are two flat float[]s of the same {@link ParameterLayout}.
 * Activations are allocated once for the largest (B, T) seen and reused. The backward pass needs
 * only one set of activation-gradient buffers, shared by all layers, and computes the logits'
 * gradient in place over the logits.
 *
 * <p>Not thread-safe: one training thread drives a model and its backend.
 */
public final class GptModel {
  private static final double INIT_STD = 0.02;

  private final GptConfig config;
  private final ParameterLayout layout;
  private final Backend backend;
  private final float[] params;
  private final float[] grads;

  // Capacity of the activation buffers, and the shape and batch of the last forward.
  private int capB;
  private int capT;
  private int curB;
  private int curT;
  private int[] inputs;
  private int[] targets;
  private boolean backwardReady;

  // Activations saved for backward, per layer where they are per layer (llm.c's names).
  private float[] encoded;
  private float[][] ln1;
  private float[][] ln1Mean;
  private float[][] ln1Rstd;
  private float[][] qkv;
  private float[][] atty;
  private float[][] att;
  private float[][] residual2;
  private float[][] ln2;
  private float[][] ln2Mean;
  private float[][] ln2Rstd;
  private float[][] fch;
  private float[][] fchGelu;
  private float[][] residual3;
  private float[] lnf;
  private float[] lnfMean;
  private float[] lnfRstd;
  private float[] logits;
  private float[] losses;
  private float[] ceStats;
  // The projections' outputs are only added to the residual stream: one scratch suffices.
  private float[] proj;

  // Gradients of activations, shared across layers.
  private float[] dresidual;
  private float[] dln;
  private float[] datty;
  private float[] dqkv;
  private float[] dfch;
  private float[] dfchGelu;

  /** A model whose parameters are all zero; call {@link #initialize(Rng)} or load weights. */
  public GptModel(GptConfig config, Backend backend) {
    this.config = config;
    this.layout = new ParameterLayout(config);
    this.backend = backend;
    this.params = new float[layout.numParams()];
    this.grads = new float[layout.numParams()];
  }

  /** A model with GPT-2's initialisation drawn from {@code new Rng(seed)}. */
  public GptModel(GptConfig config, Backend backend, long seed) {
    this(config, backend);
    initialize(new Rng(seed));
  }

  public GptConfig config() {
    return config;
  }

  public ParameterLayout layout() {
    return layout;
  }

  public Backend backend() {
    return backend;
  }

  public float[] params() {
    return params;
  }

  public float[] grads() {
    return grads;
  }

  /**
   * GPT-2 initialisation: weights and embeddings normal with std 0.02, the residual projections
   * (attprojw, fcprojw) scaled by 1/sqrt(2 nLayer) because each layer adds two of them to the
   * residual stream; biases zero, LayerNorm weights one. The padding rows of wte stay zero: they
   * are never predicted and never looked up. Tensors are drawn in layout order, so the result
   * depends only on the config and the generator's state.
   */
  public void initialize(Rng rng) {
    double projStd = INIT_STD / Math.sqrt(2.0 * config.nLayer());
    Arrays.fill(params, 0f);
    for (ParameterLayout.Tensor t : layout.tensors()) {
      String kind = t.name().substring(t.name().lastIndexOf('.') + 1);
      if (t.matrix()) {
        double std = kind.equals("attprojw") || kind.equals("fcprojw") ? projStd : INIT_STD;
        int n = kind.equals("wte") ? config.vocabSize() * config.nEmbd() : t.size();
        for (int i = 0; i < n; i++) {
          params[t.offset() + i] = (float) (rng.nextGaussian() * std);
        }
      } else if (kind.endsWith("w")) {
        Arrays.fill(params, t.offset(), t.end(), 1f);
      }
    }
    zeroGrad();
  }

  public void zeroGrad() {
    Arrays.fill(grads, 0f);
  }

  /**
   * Runs the model on inputs (B x T token ids). With targets (B x T), returns the mean
   * cross-entropy loss and prepares {@link #backward()}; with null targets, returns NaN and only
   * the logits are computed. The arrays are read again by backward: don't change them in between.
   */
  public float forward(int[] inputs, int[] targets, int B, int T) {
    if (B <= 0 || T <= 0 || T > config.blockSize()) {
      throw new IllegalArgumentException("need B > 0 and 0 < T <= blockSize ("
          + config.blockSize() + "), got B=" + B + " T=" + T);
    }
    checkTokens("inputs", inputs, B * T);
    if (targets != null) {
      checkTokens("targets", targets, B * T);
    }
    ensureCapacity(B, T);
    this.curB = B;
    this.curT = T;
    this.inputs = inputs;
    this.targets = targets;
    int C = config.nEmbd();
    int NH = config.nHead();
    int Vp = config.paddedVocabSize();
    int BT = B * T;
    Backend be = backend;

    be.encoderForward(encoded, 0, inputs, params, layout.wte(), params, layout.wpe(), B, T, C);
    float[] residual = encoded;
    for (int l = 0; l < config.nLayer(); l++) {
      ParameterLayout.Layer p = layout.layer(l);
      be.layernormForward(ln1[l], 0, ln1Mean[l], 0, ln1Rstd[l], 0, residual, 0, params, p.ln1w(),
          params, p.ln1b(), BT, C);
      be.matmulForward(qkv[l], 0, ln1[l], 0, params, p.qkvw(), params, p.qkvb(), BT, C, 3 * C);
      be.attentionForward(atty[l], 0, att[l], 0, qkv[l], 0, B, T, C, NH);
      be.matmulForward(proj, 0, atty[l], 0, params, p.attprojw(), params, p.attprojb(), BT, C, C);
      be.residualForward(residual2[l], 0, residual, 0, proj, 0, BT * C);
      be.layernormForward(ln2[l], 0, ln2Mean[l], 0, ln2Rstd[l], 0, residual2[l], 0, params,
          p.ln2w(), params, p.ln2b(), BT, C);
      be.matmulForward(fch[l], 0, ln2[l], 0, params, p.fcw(), params, p.fcb(), BT, C, 4 * C);
      be.geluForward(fchGelu[l], 0, fch[l], 0, BT * 4 * C);
      be.matmulForward(proj, 0, fchGelu[l], 0, params, p.fcprojw(), params, p.fcprojb(), BT,
          4 * C, C);
      be.residualForward(residual3[l], 0, residual2[l], 0, proj, 0, BT * C);
      residual = residual3[l];
    }
    be.layernormForward(lnf, 0, lnfMean, 0, lnfRstd, 0, residual, 0, params, layout.lnfw(),
        params, layout.lnfb(), BT, C);
    be.matmulForward(logits, 0, lnf, 0, params, layout.wte(), null, 0, BT, C, Vp);

    if (targets == null) {
      backwardReady = false;
      return Float.NaN;
    }
    be.crossEntropyForward(losses, 0, ceStats, 0, logits, 0, targets, BT, config.vocabSize(), Vp);
    double sum = 0;
    for (int i = 0; i < BT; i++) {
      sum += losses[i];
    }
    backwardReady = true;
    return (float) (sum / BT);
  }

  /**
   * Adds the gradient of the last forward's mean loss to {@link #grads()}. Overwrites the logits
   * with their gradient, so it runs once per forward.
   */
  public void backward() {
    backward(segment -> {});
  }

  /**
   * As {@link #backward()}, telling {@code segmentDone} each {@link ParameterLayout} segment whose
   * gradients are complete, as soon as they are: the final LayerNorm first, then the layers from
   * the last to the first, then the embeddings (wte is tied to the LM head, so it completes last).
   * A data-parallel trainer starts each segment's all-reduce there, overlapping communication with
   * the rest of the backward pass; it must not touch other segments' gradients meanwhile.
   */
  public void backward(IntConsumer segmentDone) {
    if (!backwardReady) {
      throw new IllegalStateException("backward needs a forward with targets just before it");
    }
    backwardReady = false;
    int B = curB;
    int T = curT;
    int C = config.nEmbd();
    int NH = config.nHead();
    int V = config.vocabSize();
    int Vp = config.paddedVocabSize();
    int BT = B * T;
    int nl = config.nLayer();
    Backend be = backend;

    // The loss is a mean over B*T positions.
    be.crossEntropyBackward(logits, 0, logits, 0, ceStats, 0, targets, 1f / BT, BT, V, Vp);
    be.matmulBackward(dln, 0, grads, layout.wte(), null, 0, logits, 0, lnf, 0, params,
        layout.wte(), BT, C, Vp);
    Arrays.fill(dresidual, 0, BT * C, 0f);
    be.layernormBackward(dresidual, 0, grads, layout.lnfw(), grads, layout.lnfb(), dln, 0,
        residual3[nl - 1], 0, params, layout.lnfw(), lnfMean, 0, lnfRstd, 0, BT, C);
    segmentDone.accept(nl + 1);

    // dresidual holds the gradient of the residual stream; each block's two additions pass it
    // through unchanged and the LayerNorm branches add to it.
    for (int l = nl - 1; l >= 0; l--) {
      ParameterLayout.Layer p = layout.layer(l);
      float[] residual = l == 0 ? encoded : residual3[l - 1];
      be.matmulBackward(dfchGelu, 0, grads, p.fcprojw(), grads, p.fcprojb(), dresidual, 0,
          fchGelu[l], 0, params, p.fcprojw(), BT, 4 * C, C);
      be.geluBackward(dfch, 0, fch[l], 0, dfchGelu, 0, BT * 4 * C);
      be.matmulBackward(dln, 0, grads, p.fcw(), grads, p.fcb(), dfch, 0, ln2[l], 0, params,
          p.fcw(), BT, C, 4 * C);
      be.layernormBackward(dresidual, 0, grads, p.ln2w(), grads, p.ln2b(), dln, 0, residual2[l],
          0, params, p.ln2w(), ln2Mean[l], 0, ln2Rstd[l], 0, BT, C);
      be.matmulBackward(datty, 0, grads, p.attprojw(), grads, p.attprojb(), dresidual, 0,
          atty[l], 0, params, p.attprojw(), BT, C, C);
      be.attentionBackward(dqkv, 0, datty, 0, qkv[l], 0, att[l], 0, B, T, C, NH);
      be.matmulBackward(dln, 0, grads, p.qkvw(), grads, p.qkvb(), dqkv, 0, ln1[l], 0, params,
          p.qkvw(), BT, C, 3 * C);
      be.layernormBackward(dresidual, 0, grads, p.ln1w(), grads, p.ln1b(), dln, 0, residual, 0,
          params, p.ln1w(), ln1Mean[l], 0, ln1Rstd[l], 0, BT, C);
      segmentDone.accept(l + 1);
    }
    be.encoderBackward(grads, layout.wte(), grads, layout.wpe(), dresidual, 0, inputs, B, T, C);
    segmentDone.accept(0);
  }

  /**
   * Logits of the last forward, (B*T) x paddedVocabSize row-major; the padding columns are not
   * part of the distribution. Overwritten by backward.
   */
  public float[] logits() {
    return logits;
  }

  /** Loss per position of the last forward with targets. */
  public float[] losses() {
    return losses;
  }

  private void checkTokens(String what, int[] tokens, int n) {
    if (tokens.length < n) {
      throw new IllegalArgumentException(what + " has " + tokens.length + " tokens, need " + n);
    }
    for (int i = 0; i < n; i++) {
      if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
        throw new IllegalArgumentException(what + "[" + i + "] = " + tokens[i]
            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
      }
    }
  }

  private void ensureCapacity(int B, int T) {
    if (B <= capB && T <= capT) {
      return;
    }
    capB = Math.max(B, capB);
    capT = Math.max(T, capT);
    int nl = config.nLayer();
    int C = config.nEmbd();
    int bt = capB * capT;
    int btc = bt * C;
    encoded = new float[btc];
    ln1 = new float[nl][btc];
    ln1Mean = new float[nl][bt];
    ln1Rstd = new float[nl][bt];
    qkv = new float[nl][3 * btc];
    atty = new float[nl][btc];
    att = new float[nl][capB * config.nHead() * capT * capT];
    residual2 = new float[nl][btc];
    ln2 = new float[nl][btc];
    ln2Mean = new float[nl][bt];
    ln2Rstd = new float[nl][bt];
    fch = new float[nl][4 * btc];
    fchGelu = new float[nl][4 * btc];
    residual3 = new float[nl][btc];
    lnf = new float[btc];
    lnfMean = new float[bt];
    lnfRstd = new float[bt];
    logits = new float[Math.multiplyExact(bt, config.paddedVocabSize())];
    losses = new float[bt];
    ceStats = new float[2 * bt];
    proj = new float[btc];
    dresidual = new float[btc];
    dln = new float[btc];
    datty = new float[btc];
    dqkv = new float[3 * btc];
    dfch = new float[4 * btc];
    dfchGelu = new float[4 * btc];
  }
}
