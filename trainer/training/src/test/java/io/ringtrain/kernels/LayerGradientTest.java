package io.ringtrain.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each layer's backward against finite differences of its forward. The objective is
 * f = sum(w * out) with fixed random w, so dout = w. Differences use the fourth-order stencil
 * (8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h with h = 1e-2 on inputs of order one: its
 * truncation error is O(h^4) and float rounding of f contributes about 1e-5, so the tolerance
 * 1e-3 + 1e-3 |g| holds for a correct kernel while a wrong index or a missing term (errors of
 * order |g|) fails it.
 */
class LayerGradientTest {
  static final float H = 1e-2f;
  static final int B = 2;
  static final int T = 5;
  static final int C = 12;
  static JavaBackend be;

  @BeforeAll
  static void start() {
    be = new JavaBackend(2);
  }

  @AfterAll
  static void stop() {
    be.close();
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static double dot(float[] w, float[] out) {
    double s = 0;
    for (int i = 0; i < w.length; i++) {
      s += (double) w[i] * out[i];
    }
    return s;
  }

  /** Compares analytic against finite differences at up to 40 entries of x. */
  static void check(String what, float[] x, float[] analytic, DoubleSupplier f) {
    Random r = new Random(what.hashCode());
    int n = Math.min(40, x.length);
    for (int s = 0; s < n; s++) {
      int i = x.length <= 40 ? s : r.nextInt(x.length);
      float keep = x[i];
      x[i] = keep + H;
      double p1 = f.getAsDouble();
      x[i] = keep - H;
      double m1 = f.getAsDouble();
      x[i] = keep + 2 * H;
      double p2 = f.getAsDouble();
      x[i] = keep - 2 * H;
      double m2 = f.getAsDouble();
      x[i] = keep;
      double fd = (8 * (p1 - m1) - (p2 - m2)) / (12 * H);
      assertEquals(fd, analytic[i], 1e-3 + 1e-3 * Math.abs(fd), what + "[" + i + "]");
    }
  }

  @Test
  void encoder() {
    Random r = new Random(1);
    int v = 7;
    float[] wte = random(r, v * C);
    float[] wpe = random(r, T * C);
    int[] inp = new int[B * T];
    for (int i = 0; i < inp.length; i++) {
      inp[i] = r.nextInt(v);
    }
    float[] w = random(r, B * T * C);
    float[] out = new float[B * T * C];
    DoubleSupplier f = () -> {
      be.encoderForward(out, 0, inp, wte, 0, wpe, 0, B, T, C);
      return dot(w, out);
    };
    float[] dwte = new float[wte.length];
    float[] dwpe = new float[wpe.length];
    be.encoderBackward(dwte, 0, dwpe, 0, w, 0, inp, B, T, C);
    check("wte", wte, dwte, f);
    check("wpe", wpe, dwpe, f);
  }

  @Test
  void layernorm() {
    Random r = new Random(2);
    int n = B * T;
    float[] x = random(r, n * C);
    float[] lw = random(r, C);
    float[] lb = random(r, C);
    float[] w = random(r, n * C);
    float[] out = new float[n * C];
    float[] mean = new float[n];
    float[] rstd = new float[n];
    DoubleSupplier f = () -> {
      be.layernormForward(out, 0, mean, 0, rstd, 0, x, 0, lw, 0, lb, 0, n, C);
      return dot(w, out);
    };
    f.getAsDouble();
    float[] dx = new float[x.length];
    float[] dlw = new float[C];
    float[] dlb = new float[C];
    be.layernormBackward(dx, 0, dlw, 0, dlb, 0, w, 0, x, 0, lw, 0, mean, 0, rstd, 0, n, C);
    check("inp", x, dx, f);
    check("weight", lw, dlw, f);
    check("bias", lb, dlb, f);
  }

  @Test
  void matmul() {
    Random r = new Random(3);
    int n = B * T;
    int oc = 7;
    float[] x = random(r, n * C);
    float[] wt = random(r, oc * C);
    float[] bias = random(r, oc);
    float[] w = random(r, n * oc);
    float[] out = new float[n * oc];
    DoubleSupplier f = () -> {
      be.matmulForward(out, 0, x, 0, wt, 0, bias, 0, n, C, oc);
      return dot(w, out);
    };
    float[] dx = new float[x.length];
    float[] dwt = new float[wt.length];
    float[] db = new float[oc];
    be.matmulBackward(dx, 0, dwt, 0, db, 0, w, 0, x, 0, wt, 0, n, C, oc);
    check("inp", x, dx, f);
    check("weight", wt, dwt, f);
    check("bias", bias, db, f);
  }

  @Test
  void attention() {
    // {T, heads, C}: head size 3 (scalar paths), and head size 32 with T = 20 and 32, where rows
    // are computed in whole vectors (16 lanes) up to the causal edge or past it.
    for (int[] shape : new int[][] {{5, 4, C}, {20, 1, 32}, {32, 2, 64}}) {
      int t = shape[0];
      int nh = shape[1];
      int c = shape[2];
      Random r = new Random(4 + t);
      float[] qkv = random(r, B * t * 3 * c);
      float[] w = random(r, B * t * c);
      float[] out = new float[B * t * c];
      float[] att = new float[B * nh * t * t];
      DoubleSupplier f = () -> {
        be.attentionForward(out, 0, att, 0, qkv, 0, B, t, c, nh);
        return dot(w, out);
      };
      f.getAsDouble();
      float[] dqkv = random(r, qkv.length); // overwritten
      be.attentionBackward(dqkv, 0, w, 0, qkv, 0, att, 0, B, t, c, nh);
      check("qkv, T=" + t + " heads=" + nh, qkv, dqkv, f);
    }
  }

  @Test
  void gelu() {
    Random r = new Random(5);
    // Long enough for the vector loop and a tail, with values out to |x| ~ 3.
    float[] x = random(r, 53);
    for (int i = 0; i < x.length; i++) {
      x[i] *= 1.5f;
    }
    float[] w = random(r, x.length);
    float[] out = new float[x.length];
    DoubleSupplier f = () -> {
      be.geluForward(out, 0, x, 0, x.length);
      return dot(w, out);
    };
    float[] dx = new float[x.length];
    be.geluBackward(dx, 0, x, 0, w, 0, x.length);
    check("inp", x, dx, f);
    assertEquals(0.8411920f, gelu1(), 1e-6f);
  }

  private static float gelu1() {
    float[] out = new float[1];
    be.geluForward(out, 0, new float[] {1f}, 0, 1);
    return out[0];
  }

  @Test
  void residual() {
    Random r = new Random(6);
    float[] a = random(r, 37);
    float[] b = random(r, 37);
    float[] w = random(r, 37);
    float[] out = new float[37];
    DoubleSupplier f = () -> {
      be.residualForward(out, 0, a, 0, b, 0, 37);
      return dot(w, out);
    };
    // The model's backward passes the residual stream's gradient through both additions unchanged:
    // the gradient of dot(w, a + b) is w for each input.
    check("a", a, w, f);
    check("b", b, w, f);
  }

  @Test
  void crossEntropyOverPaddedVocabulary() {
    Random r = new Random(7);
    int n = B * T;
    int v = 37;
    int vp = 64;
    float[] logits = random(r, n * vp);
    int[] targets = new int[n];
    for (int i = 0; i < n; i++) {
      targets[i] = r.nextInt(v);
    }
    float dloss = 1f / n;
    float[] losses = new float[n];
    float[] stats = new float[2 * n];
    DoubleSupplier f = () -> {
      be.crossEntropyForward(losses, 0, stats, 0, logits, 0, targets, n, v, vp);
      double s = 0;
      for (float l : losses) {
        s += l;
      }
      return s * dloss;
    };
    double before = f.getAsDouble();
    float[] dlogits = random(r, logits.length); // overwritten, padding included
    be.crossEntropyBackward(dlogits, 0, logits, 0, stats, 0, targets, dloss, n, v, vp);
    check("logits", logits, dlogits, f);
    for (int i = 0; i < n; i++) {
      for (int j = v; j < vp; j++) {
        assertEquals(0f, dlogits[i * vp + j]);
        logits[i * vp + j] = 1e4f; // padding never takes part in the softmax
      }
    }
    assertEquals(before, f.getAsDouble());
    // In place (dlogits aliasing logits) gives the same gradient.
    float[] inPlace = logits.clone();
    be.crossEntropyBackward(inPlace, 0, inPlace, 0, stats, 0, targets, dloss, n, v, vp);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < v; j++) {
        assertEquals(dlogits[i * vp + j], inPlace[i * vp + j]);
      }
    }
  }
}
