package io.ringtrain.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, tanh and lane sums built only from IEEE add, mul, div and fma, each with a scalar twin
 * doing the same operations in the same order. The Vector API's own EXP/TANH and
 * reduceLanes(ADD) give different last bits in interpreted, C1 and C2 code (fallback loops versus
 * SVML stubs and tree reductions), which would make results depend on JIT timing; and
 * Math.exp/tanh are slow here (about 14 ns each). These are exact functions of their inputs.
 */
final class VecMath {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  // Cephes expf: exp(x) = 2^n exp(r), n = round(x log2 e), r = x - n ln 2 in two parts.
  private static final float EXP_HI = 88.0f;
  private static final float EXP_LO = -87.33654f;
  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  // Adding 1.5 * 2^23 rounds to an integer, which then sits in the low mantissa bits.
  private static final float MAGIC = 12582912f;
  private static final int MAGIC_BITS = 0x4B400000;
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;

  private VecMath() {}

  /** exp with about 1 ulp error; inputs below -87.3 (and -inf) give 2^-126, not 0. */
  static FloatVector exp(FloatVector x) {
    x = x.max(EXP_LO).min(EXP_HI);
    FloatVector t = x.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, MAGIC));
    FloatVector n = t.sub(MAGIC);
    FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), x);
    r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
    FloatVector p = FloatVector.broadcast(S, P0);
    p = p.fma(r, FloatVector.broadcast(S, P1));
    p = p.fma(r, FloatVector.broadcast(S, P2));
    p = p.fma(r, FloatVector.broadcast(S, P3));
    p = p.fma(r, FloatVector.broadcast(S, P4));
    p = p.fma(r, FloatVector.broadcast(S, P5));
    FloatVector e = p.mul(r.mul(r)).add(r).add(1f);
    FloatVector pow2 = t.reinterpretAsInts().add(127 - MAGIC_BITS)
        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return e.mul(pow2);
  }

  static float exp(float x) {
    x = Math.min(Math.max(x, EXP_LO), EXP_HI);
    float t = Math.fma(x, LOG2E, MAGIC);
    float n = t - MAGIC;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = P0;
    p = Math.fma(p, r, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    float e = p * (r * r) + r + 1f;
    float pow2 = Float.intBitsToFloat((Float.floatToRawIntBits(t) + (127 - MAGIC_BITS)) << 23);
    return e * pow2;
  }

  /** tanh(u) = 1 - 2 / (exp(2u) + 1): absolute error about 1e-7, saturating cleanly. */
  static FloatVector tanh(FloatVector u) {
    FloatVector e = exp(u.mul(2f));
    return FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
  }

  static float tanh(float u) {
    float e = exp(u * 2f);
    return 1f - 2f / (e + 1f);
  }

  /** Sum of the lanes in lane order. */
  static float sumLanes(FloatVector v) {
    float s = 0f;
    for (int i = 0; i < L; i++) {
      s += v.lane(i);
    }
    return s;
  }
}
