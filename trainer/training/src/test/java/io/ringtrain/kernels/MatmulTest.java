package io.ringtrain.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packed, tiled matmul against a naive triple loop in double, on shapes that are not
 * multiples of the tiles (MR = 12 rows, NR = 2 vectors, KC = 512, MC = 144, NC = 512), with 1 and
 * 2 threads; repeated runs and different thread counts must give the same bits.
 */
class MatmulTest {
  // N, C, OC: odd small shapes, and shapes crossing every block edge.
  static final int[][] SHAPES = {{1, 1, 1}, {5, 3, 7}, {13, 29, 33}, {37, 17, 64},
      {150, 270, 70}, {149, 515, 531}, {300, 260, 1100}};

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** max |got - want| / (sum |terms|): relative to the magnitude of what was summed. */
  static void assertClose(double[] want, double[] scale, float[] got, int off, String what) {
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[off + i] - want[i]) / (scale[i] + 1e-30));
    }
    // float32 summation of K terms is good to about K * 6e-8 relative to sum |terms|.
    assertTrue(worst < 2e-6, what + ": worst scaled error " + worst);
  }

  @Test
  void forwardAndBackwardMatchNaiveLoops() {
    Random r = new Random(1);
    for (int threads = 1; threads <= 2; threads++) {
      try (JavaBackend be = new JavaBackend(threads)) {
        for (int[] s : SHAPES) {
          int n = s[0];
          int c = s[1];
          int oc = s[2];
          String shape = threads + " threads, " + n + "x" + c + "x" + oc;
          // Offsets make sure no kernel assumes arrays start at 0.
          float[] inp = random(r, 3 + n * c);
          float[] w = random(r, 5 + oc * c);
          float[] b = random(r, 2 + oc);
          float[] dout = random(r, 1 + n * oc);
          float[] out = new float[4 + n * oc];
          be.matmulForward(out, 4, inp, 3, w, 5, b, 2, n, c, oc);
          double[] want = new double[n * oc];
          double[] scale = new double[n * oc];
          for (int i = 0; i < n; i++) {
            for (int o = 0; o < oc; o++) {
              double acc = b[2 + o];
              double mag = Math.abs(acc);
              for (int k = 0; k < c; k++) {
                double t = (double) inp[3 + i * c + k] * w[5 + o * c + k];
                acc += t;
                mag += Math.abs(t);
              }
              want[i * oc + o] = acc;
              scale[i * oc + o] = mag;
            }
          }
          assertClose(want, scale, out, 4, "forward " + shape);

          float[] dinp = random(r, 3 + n * c); // overwritten
          float[] dw = random(r, 5 + oc * c); // accumulated
          float[] db = random(r, 2 + oc);
          float[] dw0 = dw.clone();
          float[] db0 = db.clone();
          be.matmulBackward(dinp, 3, dw, 5, db, 2, dout, 1, inp, 3, w, 5, n, c, oc);
          double[] wantIn = new double[n * c];
          double[] scaleIn = new double[n * c];
          for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
              for (int o = 0; o < oc; o++) {
                double t = (double) dout[1 + i * oc + o] * w[5 + o * c + k];
                wantIn[i * c + k] += t;
                scaleIn[i * c + k] += Math.abs(t);
              }
            }
          }
          assertClose(wantIn, scaleIn, dinp, 3, "dinp " + shape);
          double[] wantW = new double[oc * c];
          double[] scaleW = new double[oc * c];
          double[] wantB = new double[oc];
          double[] scaleB = new double[oc];
          for (int o = 0; o < oc; o++) {
            wantB[o] = db0[2 + o];
            scaleB[o] = Math.abs(db0[2 + o]);
            for (int k = 0; k < c; k++) {
              wantW[o * c + k] = dw0[5 + o * c + k];
              scaleW[o * c + k] = Math.abs(dw0[5 + o * c + k]);
            }
            for (int i = 0; i < n; i++) {
              double d = dout[1 + i * oc + o];
              wantB[o] += d;
              scaleB[o] += Math.abs(d);
              for (int k = 0; k < c; k++) {
                double t = d * inp[3 + i * c + k];
                wantW[o * c + k] += t;
                scaleW[o * c + k] += Math.abs(t);
              }
            }
          }
          assertClose(wantW, scaleW, dw, 5, "dweight " + shape);
          assertClose(wantB, scaleB, db, 2, "dbias " + shape);
          // Summed while dout^T is packed for dW, yet in row order: the same bits as a plain loop.
          float[] exactB = db0.clone();
          for (int i = 0; i < n; i++) {
            for (int o = 0; o < oc; o++) {
              exactB[2 + o] += dout[1 + i * oc + o];
            }
          }
          assertArrayEquals(exactB, db, "dbias, in row order, " + shape);
        }
      }
    }
  }

  @Test
  void bitIdenticalForRepeatedRunsAndThreadCounts() {
    int n = 149;
    int c = 515;
    int oc = 531;
    Random r = new Random(2);
    float[] inp = random(r, n * c);
    float[] w = random(r, oc * c);
    float[] b = random(r, oc);
    float[] dout = random(r, n * oc);
    float[][] outs = new float[3][];
    float[][] dws = new float[3][];
    float[][] dins = new float[3][];
    int[] threads = {2, 2, 1};
    for (int k = 0; k < 3; k++) {
      try (JavaBackend be = new JavaBackend(threads[k])) {
        outs[k] = new float[n * oc];
        dws[k] = new float[oc * c];
        dins[k] = new float[n * c];
        be.matmulForward(outs[k], 0, inp, 0, w, 0, b, 0, n, c, oc);
        be.matmulBackward(dins[k], 0, dws[k], 0, new float[oc], 0, dout, 0, inp, 0, w, 0, n, c,
            oc);
      }
    }
    for (int k = 1; k < 3; k++) {
      assertArrayEquals(outs[0], outs[k]);
      assertArrayEquals(dws[0], dws[k]);
      assertArrayEquals(dins[0], dins[k]);
    }
  }

  /**
   * The causal attention products: with op(A) zero above (or below) the diagonal, A_LOWER (A_UPPER)
   * skips k where A is zero and must give FULL's bits; LOWER_C must give FULL's bits in every tile
   * reaching the diagonal. Sizes cross KC = 512 and are not multiples of the tiles.
   */
  @Test
  void triangularPartsGiveTheFullProductsBits() {
    Random r = new Random(3);
    try (WorkerPool pool = new WorkerPool(1)) {
      Sgemm g = new Sgemm(1);
      for (int t : new int[] {1, 7, 13, 40, 300}) {
        for (int hs : new int[] {5, 32, 64}) {
          float[] lower = random(r, t * t);
          float[] upper = lower.clone();
          for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
              if (j > i) lower[i * t + j] = 0f;
              if (j < i) upper[i * t + j] = 0f;
            }
          }
          float[] v = random(r, t * hs);
          String shape = "T=" + t + " hs=" + hs;
          for (boolean trans : new boolean[] {false, true}) {
            // op(A) is lower triangular: A itself, or the upper one read transposed.
            float[] a = trans ? upper : lower;
            float[] full = new float[t * hs];
            float[] part = new float[t * hs];
            g.gemm(pool, trans, false, t, hs, t, a, 0, t, v, 0, hs, full, 0, hs, false);
            g.gemmOnThread(0, trans, false, t, hs, t, a, 0, t, v, 0, hs, part, 0, hs,
                Sgemm.Part.A_LOWER);
            assertArrayEquals(full, part, "A_LOWER " + shape + " transA=" + trans);
            float[] aUp = trans ? lower : upper;
            g.gemm(pool, trans, false, t, hs, t, aUp, 0, t, v, 0, hs, full, 0, hs, false);
            g.gemmOnThread(0, trans, false, t, hs, t, aUp, 0, t, v, 0, hs, part, 0, hs,
                Sgemm.Part.A_UPPER);
            assertArrayEquals(full, part, "A_UPPER " + shape + " transA=" + trans);
          }
          float[] q = random(r, t * hs);
          float[] full = new float[t * t];
          float[] part = new float[t * t];
          g.gemm(pool, false, true, t, t, hs, q, 0, hs, v, 0, hs, full, 0, t, false);
          g.gemmOnThread(0, false, true, t, t, hs, q, 0, hs, v, 0, hs, part, 0, t,
              Sgemm.Part.LOWER_C);
          for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
              if (full[i * t + j] != part[i * t + j]) {
                throw new AssertionError("LOWER_C " + shape + " differs at " + i + "," + j);
              }
            }
          }
        }
      }
    }
  }
}
