package io.ringtrain.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.JavaBackend;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Every kernel of the OpenCL backend against the Java backend on the same random inputs. Shapes
 * are small and deliberately ragged (rows not a multiple of the 4-row tile, columns not a
 * multiple of 16). Tolerance: max |opencl - java| &lt;= TOL * max(1, max |java|) over every
 * array a call may write; the summation orders differ, so results agree to float rounding
 * (observed about 1e-6), and a wrong index or a missing term fails by far more. Each test also
 * asserts that OpenCL really ran (Aparapi did not fall back to Java threads).
 */
@Tag("opencl")
class OpenClBackendTest {
  static final float TOL = 1e-4f;
  static OpenClBackend cl;
  static JavaBackend jvm;

  @BeforeAll
  static void open() {
    cl = OpenClBackend.open("");
    jvm = new JavaBackend(2);
    System.out.println(cl.describe() + ": compile " + Math.round(cl.compileMillis()) + " ms");
  }

  @AfterAll
  static void close() {
    cl.close();
    jvm.close();
  }

  /** The arrays of one call, by role; each test fills them, runs both backends on copies. */
  static final class State {
    float[] p;
    float[] g;
    float[] w;
    float[] l;
    float[] m;
    float[] v;
    int[] in;
    int[] tg;

    State(int np, int nw, int nl, int nt, long seed, int vocab) {
      Random r = new Random(seed);
      p = gaussian(r, np);
      g = gaussian(r, np);
      w = gaussian(r, nw);
      l = gaussian(r, nl);
      m = gaussian(r, np);
      v = new float[np];
      for (int i = 0; i < np; i++) {
        v[i] = r.nextFloat();
      }
      in = new int[nt];
      tg = new int[nt];
      for (int i = 0; i < nt; i++) {
        in[i] = r.nextInt(Math.min(vocab, 5)); // few distinct tokens: encoder backward repeats rows
        tg[i] = r.nextInt(vocab);
      }
    }

    State copy() {
      State s = new State(0, 0, 0, 0, 0, 1);
      s.p = p.clone();
      s.g = g.clone();
      s.w = w.clone();
      s.l = l.clone();
      s.m = m.clone();
      s.v = v.clone();
      s.in = in.clone();
      s.tg = tg.clone();
      return s;
    }
  }

  interface Call {
    void run(Backend be, State s);
  }

  static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** Runs call on both backends from copies of s and compares every array; returns the worst. */
  static double check(String what, State s, Call call) {
    State a = s.copy();
    State b = s.copy();
    call.run(jvm, a);
    call.run(cl, b);
    for (float[] x : new float[][] {b.p, b.g, b.w, b.l, b.m, b.v}) {
      cl.hostReads(x);
    }
    assertTrue(cl.isRunningCL(), "OpenCL really ran");
    double worst = 0;
    worst = Math.max(worst, close(what + " params", a.p, b.p));
    worst = Math.max(worst, close(what + " grads", a.g, b.g));
    worst = Math.max(worst, close(what + " work", a.w, b.w));
    worst = Math.max(worst, close(what + " losses", a.l, b.l));
    worst = Math.max(worst, close(what + " m", a.m, b.m));
    worst = Math.max(worst, close(what + " v", a.v, b.v));
    System.out.printf("%s: worst scaled difference %.2e%n", what, worst);
    return worst;
  }

  static double close(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what);
    double scale = 1;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) expected[i] - actual[i]);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    double scaled = worst / scale;
    assertTrue(scaled <= TOL, what + ": |diff| " + worst + " at " + at + " (expected "
        + (at < 0 ? "" : expected[at] + ", got " + actual[at]) + "), scale " + scale);
    return scaled;
  }

  /** out (n x oc) = inp (n x c) . W^T [+ bias]; work holds inp then out. */
  static void matmulForward(int n, int c, int oc, long seed, boolean bias) {
    State s = new State(oc * c + oc, n * c + n * oc, 1, 1, seed, 10);
    check("matmul forward " + n + "x" + c + "x" + oc + (bias ? " + bias" : ""), s,
        (be, x) -> be.matmulForward(x.w, n * c, x.w, 0, x.p, 0, bias ? x.p : null, oc * c, n, c,
            oc));
  }

  @Test
  void matmulForward() {
    matmulForward(13, 40, 24, 1, true); // ragged: rows not a multiple of 4, columns of 16
    matmulForward(13, 40, 24, 1, false);
    matmulForward(64, 96, 128, 3, true); // tile-aligned
  }

  @Test
  void matmulBackward() {
    int n = 9;
    int c = 20;
    int oc = 35;
    // work: inp (n x c), dout (n x oc), dinp (n x c); params: weight; grads: dweight, dbias
    State s = new State(oc * c + oc, n * c + n * oc + n * c, 1, 1, 2, 10);
    check("matmul backward", s, (be, x) -> be.matmulBackward(x.w, n * c + n * oc, x.g, 0, x.g,
        oc * c, x.w, n * c, x.w, 0, x.p, 0, n, c, oc));
  }

  @Test
  void layernorm() {
    int n = 7;
    int c = 24;
    // work: inp, out, mean, rstd, dout, dinp
    State s = new State(2 * c, 4 * n * c + 2 * n, 1, 1, 4, 10);
    int out = n * c;
    int mean = 2 * n * c;
    int rstd = mean + n;
    int dout = rstd + n;
    int dinp = dout + n * c;
    check("layernorm forward", s, (be, x) -> be.layernormForward(x.w, out, x.w, mean, x.w, rstd,
        x.w, 0, x.p, 0, x.p, c, n, c));
    check("layernorm backward", s, (be, x) -> {
      be.layernormForward(x.w, out, x.w, mean, x.w, rstd, x.w, 0, x.p, 0, x.p, c, n, c);
      be.layernormBackward(x.w, dinp, x.g, 0, x.g, c, x.w, dout, x.w, 0, x.p, 0, x.w, mean, x.w,
          rstd, n, c);
    });
  }

  @Test
  void attention() {
    int b = 2;
    int t = 7;
    int c = 16;
    int nh = 2;
    int qkv = 0;
    int out = b * t * 3 * c;
    int att = out + b * t * c;
    int dout = att + b * nh * t * t;
    int dqkv = dout + b * t * c;
    State s = new State(1, dqkv + b * t * 3 * c, 1, 1, 5, 10);
    // att starts random: both backends must write zeros past the causal edge
    check("attention forward", s,
        (be, x) -> be.attentionForward(x.w, out, x.w, att, x.w, qkv, b, t, c, nh));
    check("attention backward", s, (be, x) -> {
      be.attentionForward(x.w, out, x.w, att, x.w, qkv, b, t, c, nh);
      be.attentionBackward(x.w, dqkv, x.w, dout, x.w, qkv, x.w, att, b, t, c, nh);
    });
  }

  @Test
  void geluAndResidual() {
    int n = 1000;
    State s = new State(1, 4 * n, 1, 1, 6, 10);
    check("gelu forward", s, (be, x) -> be.geluForward(x.w, n, x.w, 0, n));
    check("gelu backward", s, (be, x) -> be.geluBackward(x.w, 3 * n, x.w, 0, x.w, 2 * n, n));
    check("residual forward", s, (be, x) -> be.residualForward(x.w, 3 * n, x.w, 0, x.w, n, n));
  }

  @Test
  void encoder() {
    int b = 2;
    int t = 5;
    int c = 12;
    int vocab = 10;
    State s = new State(vocab * c + t * c, 2 * b * t * c, 1, b * t, 7, vocab);
    check("encoder forward", s, (be, x) -> be.encoderForward(x.w, 0, x.in, x.p, 0, x.p,
        vocab * c, b, t, c));
    check("encoder backward", s, (be, x) -> be.encoderBackward(x.g, 0, x.g, vocab * c, x.w,
        b * t * c, x.in, b, t, c));
  }

  @Test
  void crossEntropy() {
    int n = 6;
    int v = 37;
    int vp = 64;
    State s = new State(1, n * vp, 3 * n, n, 8, v);
    check("cross-entropy forward", s, (be, x) -> be.crossEntropyForward(x.l, 0, x.l, n, x.w, 0,
        x.tg, n, v, vp));
    check("cross-entropy backward", s, (be, x) -> {
      be.crossEntropyForward(x.l, 0, x.l, n, x.w, 0, x.tg, n, v, vp);
      be.crossEntropyBackward(x.w, 0, x.w, 0, x.l, n, x.tg, 1f / n, n, v, vp);
    });
  }

  @Test
  void optimizerSupport() {
    int n = 5000;
    State s = new State(n, 1, 1, 1, 9, 10);
    check("adamw", s, (be, x) -> be.adamwUpdate(x.p, x.g, x.m, x.v, 100, n - 200, 1e-3f, 0.9f,
        0.95f, 1e-8f, 0.1f, 0.1f, 0.05f));
    check("scale", s, (be, x) -> {
      bindAll(be, x);
      be.scale(x.g, 7, n - 9, 0.37f);
    });
    check("zero", s, (be, x) -> {
      bindAll(be, x);
      be.zero(x.g, 3, 1200);
    });
    State a = s.copy();
    bindAll(cl, a); // the sum then runs on the device
    double expected = jvm.sumOfSquares(s.g, 11, n - 20);
    double got = cl.sumOfSquares(a.g, 11, n - 20);
    assertEquals(expected, got, 1e-5 * expected, "sum of squares");
    assertTrue(cl.isRunningCL());
  }

  /** An AdamW update of nothing: binds params, grads, m and v on a device backend. */
  static void bindAll(Backend be, State x) {
    be.adamwUpdate(x.p, x.g, x.m, x.v, 0, 0, 0f, 0.9f, 0.95f, 1e-8f, 0f, 1f, 1f);
  }

  @Test
  void mixedUpRolesAreRefused() {
    float[] a = new float[64];
    float[] b = new float[64];
    float[] w = new float[16 * 16];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cl.matmulForward(a, 0, b, 0, w, 0, null, 0, 2, 16, 2));
    assertTrue(e.getMessage().contains("activation"), e.getMessage());
  }
}
