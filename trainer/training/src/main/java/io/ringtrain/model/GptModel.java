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
 * Activations and activation gradients are one float[] arena (llm.c style, named offsets),
 * allocated once for the largest (B, T) seen and reused; the model keeps its own copies of the
 * tokens and one small array of per-row losses and softmax statistics. The backward pass needs
 * only one set of activation-gradient buffers, shared by all layers, and computes the logits'
 * gradient in place over the logits. The host touches these arrays only through the backend's
 * residency hooks, so a device backend can keep them on the device.
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

  // The shape and batch of the last forward (the activations' capacity is at's).
  private int curB;
  private int curT;
  private boolean hasTargets;
  private boolean backwardReady;
  // The model's own copies of the last forward's tokens (B*T each, room for at.batch*at.seqLen).
  private int[] inputs = new int[0];
  private int[] targets = new int[0];

  // All activations and activation gradients live in one arena, llm.c style, where {@code at}
  // says. One array lets a device backend keep the whole forward/backward state in one buffer.
  private float[] acts = new float[0];
  private ActivationLayout at;
  // Loss per row [0, at.batch*at.seqLen), then the softmax stats (max, sum) per row.
  private float[] lossStats = new float[0];
  private int statsOff;

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
    backend.hostWrote(params);
    zeroGrad();
  }

  /** Zeroes the gradients where they live (on the device for a device backend). */
  public void zeroGrad() {
    backend.zero(grads, 0, grads.length);
  }

  /**
   * Tells the backend that the caller changed {@link #params()} on the host (loaded weights,
   * restored a checkpoint): a device copy is refreshed before the next kernel.
   */
  public void paramsWritten() {
    backend.hostWrote(params);
  }

  /** Makes {@link #params()} current on the host (a device backend copies them back). */
  public float[] hostParams() {
    backend.hostReads(params);
    return params;
  }

  /**
   * Runs the model on inputs (B x T token ids). With targets (B x T), returns the mean
   * cross-entropy loss and prepares {@link #backward()}; with null targets, returns NaN and only
   * the logits are computed. The tokens are copied: the caller may reuse its arrays.
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
    System.arraycopy(inputs, 0, this.inputs, 0, B * T);
    backend.hostWrote(this.inputs);
    hasTargets = targets != null;
    if (hasTargets) {
      System.arraycopy(targets, 0, this.targets, 0, B * T);
      backend.hostWrote(this.targets);
    }
    float[] acts = this.acts;
    ActivationLayout at = this.at;
    int C = config.nEmbd();
    int NH = config.nHead();
    int Vp = config.paddedVocabSize();
    int BT = B * T;
    Backend be = backend;

    be.encoderForward(acts, at.encoded, this.inputs, params, layout.wte(), params, layout.wpe(), B, T,
        C);
    int residual = at.encoded;
    for (int l = 0; l < config.nLayer(); l++) {
      ParameterLayout.Layer p = layout.layer(l);
      be.layernormForward(acts, at.ln1[l], acts, at.ln1Mean[l], acts, at.ln1Rstd[l], acts, residual, params, p.ln1w(),
          params, p.ln1b(), BT, C);
      be.matmulForward(acts, at.qkv[l], acts, at.ln1[l], params, p.qkvw(), params, p.qkvb(), BT, C, 3 * C);
      be.attentionForward(acts, at.atty[l], acts, at.att[l], acts, at.qkv[l], B, T, C, NH);
      be.matmulForward(acts, at.proj, acts, at.atty[l], params, p.attprojw(), params, p.attprojb(), BT, C, C);
      be.residualForward(acts, at.residual2[l], acts, residual, acts, at.proj, BT * C);
      be.layernormForward(acts, at.ln2[l], acts, at.ln2Mean[l], acts, at.ln2Rstd[l], acts, at.residual2[l], params,
          p.ln2w(), params, p.ln2b(), BT, C);
      be.matmulForward(acts, at.fch[l], acts, at.ln2[l], params, p.fcw(), params, p.fcb(), BT, C, 4 * C);
      be.geluForward(acts, at.fchGelu[l], acts, at.fch[l], BT * 4 * C);
      be.matmulForward(acts, at.proj, acts, at.fchGelu[l], params, p.fcprojw(), params, p.fcprojb(), BT,
          4 * C, C);
      be.residualForward(acts, at.residual3[l], acts, at.residual2[l], acts, at.proj, BT * C);
      residual = at.residual3[l];
    }
    be.layernormForward(acts, at.lnf, acts, at.lnfMean, acts, at.lnfRstd, acts, residual, params, layout.lnfw(),
        params, layout.lnfb(), BT, C);
    be.matmulForward(acts, at.logits, acts, at.lnf, params, layout.wte(), null, 0, BT, C, Vp);

    if (!hasTargets) {
      backwardReady = false;
      return Float.NaN;
    }
    be.crossEntropyForward(lossStats, 0, lossStats, statsOff, acts, at.logits, this.targets, BT,
        config.vocabSize(), Vp);
    be.hostReads(lossStats);
    double sum = 0;
    for (int i = 0; i < BT; i++) {
      sum += lossStats[i];
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

    float[] acts = this.acts;
    ActivationLayout at = this.at;

    // The loss is a mean over B*T positions.
    be.crossEntropyBackward(acts, at.logits, acts, at.logits, lossStats, statsOff, targets, 1f / BT, BT, V,
        Vp);
    be.matmulBackward(acts, at.dln, grads, layout.wte(), null, 0, acts, at.logits, acts, at.lnf, params,
        layout.wte(), BT, C, Vp);
    be.zero(acts, at.dresidual, BT * C);
    be.layernormBackward(acts, at.dresidual, grads, layout.lnfw(), grads, layout.lnfb(), acts, at.dln,
        acts, at.residual3[nl - 1], params, layout.lnfw(), acts, at.lnfMean, acts, at.lnfRstd, BT, C);
    segmentDone.accept(nl + 1);

    // at.dresidual holds the gradient of the residual stream; each block's two additions pass it
    // through unchanged and the LayerNorm branches add to it.
    for (int l = nl - 1; l >= 0; l--) {
      ParameterLayout.Layer p = layout.layer(l);
      int residual = l == 0 ? at.encoded : at.residual3[l - 1];
      be.matmulBackward(acts, at.dfchGelu, grads, p.fcprojw(), grads, p.fcprojb(), acts, at.dresidual,
          acts, at.fchGelu[l], params, p.fcprojw(), BT, 4 * C, C);
      be.geluBackward(acts, at.dfch, acts, at.fch[l], acts, at.dfchGelu, BT * 4 * C);
      be.matmulBackward(acts, at.dln, grads, p.fcw(), grads, p.fcb(), acts, at.dfch, acts, at.ln2[l], params,
          p.fcw(), BT, C, 4 * C);
      be.layernormBackward(acts, at.dresidual, grads, p.ln2w(), grads, p.ln2b(), acts, at.dln, acts,
          at.residual2[l], params, p.ln2w(), acts, at.ln2Mean[l], acts, at.ln2Rstd[l], BT, C);
      be.matmulBackward(acts, at.datty, grads, p.attprojw(), grads, p.attprojb(), acts, at.dresidual, acts,
          at.atty[l], params, p.attprojw(), BT, C, C);
      be.attentionBackward(acts, at.dqkv, acts, at.datty, acts, at.qkv[l], acts, at.att[l], B, T, C, NH);
      be.matmulBackward(acts, at.dln, grads, p.qkvw(), grads, p.qkvb(), acts, at.dqkv, acts, at.ln1[l], params,
          p.qkvw(), BT, C, 3 * C);
      be.layernormBackward(acts, at.dresidual, grads, p.ln1w(), grads, p.ln1b(), acts, at.dln, acts, residual,
          params, p.ln1w(), acts, at.ln1Mean[l], acts, at.ln1Rstd[l], BT, C);
      segmentDone.accept(l + 1);
    }
    be.encoderBackward(grads, layout.wte(), grads, layout.wpe(), acts, at.dresidual, inputs, B, T, C);
    segmentDone.accept(0);
  }

  /**
   * A copy of the last forward's logits, (B*T) x paddedVocabSize row-major; the padding columns
   * are not part of the distribution. Overwritten by backward.
   */
  public float[] logits() {
    int n = curB * curT * config.paddedVocabSize();
    backend.hostReads(acts);
    return Arrays.copyOfRange(acts, at.logits, at.logits + n);
  }

  /** A copy of row {@code row} (b*T + t) of the last forward's logits: paddedVocabSize floats. */
  public float[] logitsRow(int row) {
    if (row < 0 || row >= curB * curT) {
      throw new IndexOutOfBoundsException("row " + row + " of " + curB * curT);
    }
    int vp = config.paddedVocabSize();
    backend.hostReads(acts);
    return Arrays.copyOfRange(acts, at.logits + row * vp, at.logits + (row + 1) * vp);
  }

  /** A copy of the loss per position of the last forward with targets (B*T floats). */
  public float[] losses() {
    backend.hostReads(lossStats);
    return Arrays.copyOf(lossStats, curB * curT);
  }

  /** The activation arena (for tests and tools): floats, wherever the backend left them. */
  public float[] activations() {
    return acts;
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
    if (at != null && B <= at.batch && T <= at.seqLen) {
      return;
    }
    int newB = at == null ? B : Math.max(B, at.batch);
    int newT = at == null ? T : Math.max(T, at.seqLen);
    ActivationLayout layoutFor = new ActivationLayout(config, newB, newT);
    if (layoutFor.floats() > ActivationLayout.MAX_FLOATS) {
      throw new IllegalArgumentException("activations for B=" + newB + " T=" + newT + " need "
          + layoutFor.floats() + " floats, more than one Java array holds (" + ActivationLayout.MAX_FLOATS
          + "): use a smaller batch or block size");
    }
    long bt = (long) newB * newT;
    at = layoutFor;
    acts = new float[(int) layoutFor.floats()];
    lossStats = new float[(int) (3 * bt)];
    statsOff = (int) bt;
    inputs = new int[(int) bt];
    targets = new int[(int) bt];
  }
}
