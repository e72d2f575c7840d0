package io.ringtrain.bench.kernels;

import io.ringtrain.bench.TrainStepBench;
import io.ringtrain.model.Rng;

/**
 * The shapes one training step of a benchmark model (S, M or L of {@link TrainStepBench}) hands
 * its kernels: N = B*T rows, width C, heads NH, padded vocabulary Vp, and the four projections.
 */
record StepShapes(int B, int T, int C, int NH, int V, int Vp) {

  static StepShapes of(String model) {
    TrainStepBench.Shape s = TrainStepBench.shape(model);
    return new StepShapes(s.batch(), s.context(), s.nEmbd(), s.nHead(), s.vocab(),
        s.config().paddedVocabSize());
  }

  int rows() {
    return B * T;
  }

  /** Input and output width of a projection: qkv, attproj, fc, fcproj or lmhead. */
  int[] projection(String layer) {
    switch (layer) {
      case "qkv":
        return new int[] {C, 3 * C};
      case "attproj":
        return new int[] {C, C};
      case "fc":
        return new int[] {C, 4 * C};
      case "fcproj":
        return new int[] {4 * C, C};
      case "lmhead":
        return new int[] {C, Vp};
      default:
        throw new IllegalArgumentException("unknown projection '" + layer
            + "': expected qkv, attproj, fc, fcproj or lmhead");
    }
  }

  /** n floats drawn normal with standard deviation std, from a fixed seed. */
  static float[] gaussian(int n, double std, long seed) {
    Rng rng = new Rng(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rng.nextGaussian() * std);
    }
    return a;
  }

  static int[] tokens(int n, int vocab, long seed) {
    Rng rng = new Rng(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = rng.nextInt(vocab);
    }
    return t;
  }
}
