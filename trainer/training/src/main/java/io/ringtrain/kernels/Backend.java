package io.ringtrain.kernels;

/**
 * The kernels of GPT-2 training, each forward beside its backward, in llm.c's conventions: tensors
 * are row-major float arrays addressed as (array, offset); "N" is the number of rows (B*T); weights
 * are stored (out, in).
 *
 * <p>Gradient conventions: gradients of parameters are always accumulated ({@code +=}) so that
 * micro-batches can add up. Gradients of activations are overwritten unless the method says it
 * accumulates (LayerNorm's and the residual's {@code dinp}, which feed the residual stream).
 *
 * <p>Implementations must be deterministic for a fixed thread count: every output element is
 * summed in a fixed order.
 */
public interface Backend extends AutoCloseable {

  int threads();

  // ---- residency: where the newest copy of an array lives ------------------------------------
  // A device backend keeps arrays on the device across calls. The host tells it when it changed
  // an array (upload before the next use) and when it is about to read one (copy the device's
  // results back now if they are newer). The Java backend computes on the host arrays themselves
  // and ignores both.

  /** The host changed {@code a}: a device copy must be refreshed before its next use. */
  default void hostWrote(float[] a) {}

  /** The host changed {@code a}: a device copy must be refreshed before its next use. */
  default void hostWrote(int[] a) {}

  /** The host is about to read {@code a}: make the host copy current. */
  default void hostReads(float[] a) {}

  /**
   * True when the arrays live on a device between calls, so that the host must use the hooks
   * above; the Java backend computes on the host arrays themselves.
   */
  default boolean onDevice() {
    return false;
  }

  /** A short human-readable name of what computes ("java, 2 threads", an OpenCL device). */
  default String describe() {
    return "java, " + threads() + " threads";
  }

  /** x[off, off+n) = 0, where the data lives. */
  default void zero(float[] x, int off, int n) {
    java.util.Arrays.fill(x, off, off + n, 0f);
  }

  // ---- encoder: token + position embeddings -------------------------------------------------

  /** out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]. */
  void encoderForward(float[] out, int outOff, int[] inp, float[] wte, int wteOff, float[] wpe,
      int wpeOff, int B, int T, int C);

  /** dwte[inp[b,t],:] += dout[b,t,:]; dwpe[t,:] += dout[b,t,:]. */
  void encoderBackward(float[] dwte, int dwteOff, float[] dwpe, int dwpeOff, float[] dout,
      int doutOff, int[] inp, int B, int T, int C);

  // ---- LayerNorm (eps 1e-5) -------------------------------------------------------------------

  /** out = (inp - mean) * rstd * w + b per row; saves mean and rstd (N each) for backward. */
  void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd,
      int rstdOff, float[] inp, int inpOff, float[] w, int wOff, float[] b, int bOff, int N, int C);

  /** dinp += ...; dw += ...; db += ... (all accumulate). */
  void layernormBackward(float[] dinp, int dinpOff, float[] dw, int dwOff, float[] db, int dbOff,
      float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff, float[] mean,
      int meanOff, float[] rstd, int rstdOff, int N, int C);

  // ---- matmul: out (N x OC) = inp (N x C) . weight (OC x C)^T + bias ------------------------

  /** {@code bias} may be null (no bias). */
  void matmulForward(float[] out, int outOff, float[] inp, int inpOff, float[] weight, int wOff,
      float[] bias, int bOff, int N, int C, int OC);

  /** dinp = dout . weight (overwritten); dweight += dout^T . inp; dbias += column sums of dout
   * ({@code dbias} may be null). */
  void matmulBackward(float[] dinp, int dinpOff, float[] dweight, int dwOff, float[] dbias,
      int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] weight, int wOff,
      int N, int C, int OC);

  // ---- causal multi-head self-attention ---------------------------------------------------------

  /**
   * qkv is (B, T, 3C) holding q, k, v; out is (B, T, C). Saves the softmax probabilities in att
   * (B, NH, T, T): row t holds those of t2 &lt;= t and zeros past them.
   */
  void attentionForward(float[] out, int outOff, float[] att, int attOff, float[] qkv, int qkvOff,
      int B, int T, int C, int NH);

  /** dqkv (B, T, 3C) is overwritten. */
  void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv,
      int qkvOff, float[] att, int attOff, int B, int T, int C, int NH);

  // ---- GELU, tanh approximation -----------------------------------------------------------------

  void geluForward(float[] out, int outOff, float[] inp, int inpOff, int n);

  /** dinp (overwritten) = gelu'(inp) * dout; dinp overlaps neither inp nor dout. */
  void geluBackward(float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout, int doutOff,
      int n);

  // ---- residual add -----------------------------------------------------------------------------

  void residualForward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n);

  // ---- fused softmax + cross-entropy over a padded vocabulary --------------------------------

  /**
   * logits is (N, Vp); only the first V columns are real: the padding columns are treated as
   * -inf (probability zero). Writes the loss per row to losses and, per row, the max logit and the
   * sum of exponentials to stats (2N) for the backward pass.
   */
  void crossEntropyForward(float[] losses, int lossesOff, float[] stats, int statsOff,
      float[] logits, int logitsOff, int[] targets, int N, int V, int Vp);

  /**
   * dlogits = (softmax(logits) - onehot(target)) * dloss over the first V columns, zero over the
   * padding columns. dlogits may be the logits array itself (computed in place).
   */
  void crossEntropyBackward(float[] dlogits, int dlogitsOff, float[] logits, int logitsOff,
      float[] stats, int statsOff, int[] targets, float dloss, int N, int V, int Vp);

  // ---- optimizer support ------------------------------------------------------------------------

  /**
   * One AdamW step over [off, off+n) of the flat arrays: m, v updated; param -= lr * (mhat /
   * (sqrt(vhat) + eps) + weightDecay * param), with mhat = m / bias1, vhat = v / bias2.
   */
  void adamwUpdate(float[] param, float[] grad, float[] m, float[] v, int off, int n, float lr,
      float beta1, float beta2, float eps, float weightDecay, float bias1, float bias2);

  /** Sum of squares of x[off, off+n), in double, in an order fixed by n alone. */
  double sumOfSquares(float[] x, int off, int n);

  /** x[off, off+n) *= s. */
  void scale(float[] x, int off, int n, float s);

  @Override
  void close();
}
