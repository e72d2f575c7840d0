package io.ringtrain.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The elementwise and reduction kernels give the same bits for 1, 2 and 3 threads and for
 * repeated runs, on sizes large enough to be split across threads and not multiples of the
 * vector length.
 */
class DeterminismTest {

  static float[] run(int threads) {
    int n = 100_003;
    int rows = 300;
    int c = 333;
    Random r = new Random(1);
    float[] x = new float[n];
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) r.nextGaussian();
      d[i] = (float) r.nextGaussian();
    }
    float[] out = new float[6 * n];
    try (JavaBackend be = new JavaBackend(threads)) {
      be.geluForward(out, 0, x, 0, n);
      be.geluBackward(out, n, x, 0, d, 0, n);
      float[] p = x.clone();
      float[] m = d.clone();
      float[] v = new float[n];
      be.adamwUpdate(p, d, m, v, 3, n - 3, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.1f, 0.05f);
      System.arraycopy(p, 0, out, 2 * n, n);
      float[] mean = new float[rows];
      float[] rstd = new float[rows];
      float[] w = new float[c];
      for (int i = 0; i < c; i++) {
        w[i] = 1f + 0.01f * i;
      }
      be.layernormForward(out, 3 * n, mean, 0, rstd, 0, x, 0, w, 0, d, 0, rows, c);
      float[] dw = new float[c];
      float[] db = new float[c];
      be.layernormBackward(out, 4 * n, dw, 0, db, 0, d, 0, x, 0, w, 0, mean, 0, rstd, 0, rows, c);
      System.arraycopy(dw, 0, out, 5 * n, c);
      System.arraycopy(db, 0, out, 5 * n + c, c);
      out[6 * n - 1] = (float) be.sumOfSquares(x, 1, n - 1);
    }
    return out;
  }

  @Test
  void sameBitsForAnyThreadCount() {
    float[] one = run(1);
    assertArrayEquals(one, run(2));
    assertArrayEquals(one, run(3));
    assertArrayEquals(run(2), run(2));
  }
}
