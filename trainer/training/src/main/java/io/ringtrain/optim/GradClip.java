package io.ringtrain.optim;

import io.ringtrain.kernels.Backend;

/** Clipping by the global L2 norm of all gradients, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
  private GradClip() {}

  /** The global L2 norm of grads[off, off+n). */
  public static double norm(Backend backend, float[] grads, int off, int n) {
    return Math.sqrt(backend.sumOfSquares(grads, off, n));
  }

  /**
   * Scales all of grads by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm; returns the
   * norm before clipping. A non-finite norm is returned without touching the gradients, so the
   * caller can skip the step.
   */
  public static double clip(Backend backend, float[] grads, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be positive, got " + maxNorm);
    }
    double norm = norm(backend, grads, 0, grads.length);
    if (Double.isFinite(norm) && norm > maxNorm) {
      backend.scale(grads, 0, grads.length, (float) (maxNorm / (norm + 1e-6)));
    }
    return norm;
  }
}
