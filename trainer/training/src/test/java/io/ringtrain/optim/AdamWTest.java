package io.ringtrain.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdamWTest {
  static JavaBackend be;

  @BeforeAll
  static void start() {
    be = new JavaBackend(2);
  }

  @AfterAll
  static void stop() {
    be.close();
  }

  @Test
  void threeStepsByHand() {
    ParameterLayout lay = new ParameterLayout(GptConfig.of(1, 2, 16, 8, 37, 64));
    int n = lay.numParams();
    float[] p = new float[n];
    float[] g = new float[n];
    Arrays.fill(p, 0.5f);
    AdamW opt = new AdamW(lay, 0.9f, 0.95f, 1e-8f, 0.1f);
    float lr = 1e-2f;
    float[] grads = {0.2f, -0.1f, 0.4f};
    int matrix = lay.tensor("h0.qkvw").offset() + 5;
    int bias = lay.tensor("h0.qkvb").offset() + 5;
    int ln = lay.tensor("h0.ln1w").offset() + 5;
    int emb = lay.tensor("wpe").offset() + 5;
    // Hand computation, in double, of the same recurrence for a decayed and an undecayed entry.
    double pd = 0.5;
    double pn = 0.5;
    double m = 0;
    double v = 0;
    for (int t = 1; t <= 3; t++) {
      Arrays.fill(g, grads[t - 1]);
      opt.step(be, p, g, lr);
      double gt = grads[t - 1];
      m = 0.9 * m + 0.1 * gt;
      v = 0.95 * v + 0.05 * gt * gt;
      double mhat = m / (1 - Math.pow(0.9, t));
      double vhat = v / (1 - Math.pow(0.95, t));
      double upd = mhat / (Math.sqrt(vhat) + 1e-8);
      pd -= lr * (upd + 0.1 * pd);
      pn -= lr * upd;
      assertEquals(pd, p[matrix], 1e-6, "matrix, step " + t);
      assertEquals(pd, p[emb], 1e-6, "embedding (decayed, as nanoGPT), step " + t);
      assertEquals(pn, p[bias], 1e-6, "bias, step " + t);
      assertEquals(pn, p[ln], 1e-6, "LayerNorm weight, step " + t);
      if (t == 1) {
        // After one step mhat = g and vhat = g^2: the update is lr * sign(g), plus the decay.
        assertEquals(0.5 - 0.01 * (1 + 0.1 * 0.5), p[matrix], 1e-6);
        assertEquals(0.5 - 0.01, p[bias], 1e-6);
      }
      assertEquals(m, opt.m()[matrix], 1e-7);
      assertEquals(v, opt.v()[bias], 1e-7);
    }
    assertEquals(3, opt.stepCount());
  }

  @Test
  void rejectsBadHyperparameters() {
    ParameterLayout lay = new ParameterLayout(GptConfig.of(1, 2, 16, 8, 37, 64));
    assertThrows(IllegalArgumentException.class, () -> new AdamW(lay, 1f, 0.95f, 1e-8f, 0.1f));
    assertThrows(IllegalArgumentException.class, () -> new AdamW(lay, 0.9f, 0.95f, 0f, 0.1f));
  }

  @Test
  void lrScheduleWarmsUpThenDecaysToTheFloor() {
    LrSchedule s = new LrSchedule(6e-4, 100, 1100, 0.1);
    assertEquals(6e-6, s.lr(0), 1e-15);
    assertEquals(3e-4, s.lr(49), 1e-15);
    assertEquals(6e-4, s.lr(99), 1e-15); // end of warmup
    assertEquals(6e-4, s.lr(100), 1e-15); // cosine starts at the top
    assertEquals(0.5 * (6e-4 + 6e-5), s.lr(600), 1e-15); // midpoint of the decay
    assertEquals(6e-5, s.lr(1100), 1e-15); // end
    assertEquals(6e-5, s.lr(5000), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 10, 5, 0.1));
  }

  @Test
  void gradClipScalesToTheMaxNorm() {
    float[] g = new float[100_003];
    Arrays.fill(g, 0.01f);
    g[7] = 3f;
    double want = Math.sqrt(100_002 * 1e-4 + 9);
    double norm = GradClip.clip(be, g, 1.0);
    assertEquals(want, norm, 1e-5 * want);
    assertEquals(1.0, GradClip.norm(be, g, 0, g.length), 1e-5);
    assertEquals(3f / want, g[7], 1e-6);
    // Below the max norm nothing changes.
    float[] small = {0.3f, 0.4f};
    assertEquals(0.5, GradClip.clip(be, small, 1.0), 1e-7);
    assertEquals(0.3f, small[0]);
  }
}
