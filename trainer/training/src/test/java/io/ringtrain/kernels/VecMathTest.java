package io.ringtrain.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecMathTest {

  @Test
  void expAndTanhAreAccurateAndVectorMatchesScalar() {
    int l = VecMath.L;
    float[] x = new float[l];
    float[] e = new float[l];
    float[] th = new float[l];
    double worstExp = 0;
    double worstTanh = 0;
    for (float start = -87f; start < 88f; start += 0.37f * l) {
      for (int i = 0; i < l; i++) {
        x[i] = start + 0.37f * i;
      }
      FloatVector v = FloatVector.fromArray(VecMath.S, x, 0);
      VecMath.exp(v).intoArray(e, 0);
      VecMath.tanh(v.mul(0.1f)).intoArray(th, 0);
      for (int i = 0; i < l; i++) {
        assertEquals(Float.floatToIntBits(VecMath.exp(x[i])), Float.floatToIntBits(e[i]));
        assertEquals(Float.floatToIntBits(VecMath.tanh(x[i] * 0.1f)), Float.floatToIntBits(th[i]));
        if (x[i] <= 88f) { // clamped above
          worstExp = Math.max(worstExp, Math.abs(e[i] / Math.exp(x[i]) - 1));
        }
        worstTanh = Math.max(worstTanh, Math.abs(th[i] - Math.tanh(x[i] * 0.1f)));
      }
    }
    assertTrue(worstExp < 3e-7, "exp relative error " + worstExp);
    assertTrue(worstTanh < 3e-7, "tanh absolute error " + worstTanh);
    assertEquals(0f, 1f - 1f / (1f + VecMath.exp(Float.NEGATIVE_INFINITY)), 0f);
    assertEquals(1f, VecMath.tanh(50f));
    assertEquals(-1f, VecMath.tanh(-50f));
  }
}
