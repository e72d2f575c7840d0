package io.ringtrain.optim;

import io.ringtrain.kernels.Backend;
import io.ringtrain.model.ParameterLayout;

/**
 * AdamW (Loshchilov and Hutter) with bias correction and decoupled weight decay:
 * param -= lr * (mhat / (sqrt(vhat) + eps) + weightDecay * param).
 *
 * <p>Weight decay follows nanoGPT: it applies to every tensor of two or more dimensions (the
 * matmul weights and both embeddings, wte and wpe) and not to biases or LayerNorm parameters.
 * The moments m and v are flat arrays in the parameters' layout, so they checkpoint and shard
 * like the parameters.
 */
public final class AdamW {
  private final ParameterLayout layout;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final float[] m;
  private final float[] v;
  private long step;

  public AdamW(ParameterLayout layout, float beta1, float beta2, float eps, float weightDecay) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1): " + beta1 + ", " + beta2);
    }
    if (!(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException(
          "need eps > 0 and weightDecay >= 0, got " + eps + ", " + weightDecay);
    }
    this.layout = layout;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.m = new float[layout.numParams()];
    this.v = new float[layout.numParams()];
  }

  /** GPT-2/nanoGPT defaults: betas (0.9, 0.95), eps 1e-8, weight decay 0.1. */
  public static AdamW gpt2(ParameterLayout layout) {
    return new AdamW(layout, 0.9f, 0.95f, 1e-8f, 0.1f);
  }

  /** One update of all parameters with learning rate lr; increments the step count first. */
  public void step(Backend backend, float[] params, float[] grads, float lr) {
    step++;
    float bias1 = (float) (1.0 - Math.pow(beta1, step));
    float bias2 = (float) (1.0 - Math.pow(beta2, step));
    for (ParameterLayout.Tensor t : layout.tensors()) {
      float wd = t.matrix() ? weightDecay : 0f;
      backend.adamwUpdate(params, grads, m, v, t.offset(), t.size(), lr, beta1, beta2, eps, wd,
          bias1, bias2);
    }
  }

  /** First moment, in the parameter layout (for checkpoints). */
  public float[] m() {
    return m;
  }

  /** Second moment, in the parameter layout (for checkpoints). */
  public float[] v() {
    return v;
  }

  /** Number of steps taken (for tests: a checkpoint stores the trainer's step, which equals it). */
  public long stepCount() {
    return step;
  }

  /** Restores the step count from a checkpoint. */
  public void setStepCount(long step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    this.step = step;
  }
}
