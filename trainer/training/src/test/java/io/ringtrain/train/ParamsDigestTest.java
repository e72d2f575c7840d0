package io.ringtrain.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ParamsDigestTest {
  /** The digest's definition written out element by element, with no vectors. */
  private static long reference(float[] p) {
    int h1 = 0;
    int h2 = 0;
    for (int i = 0; i < p.length; i++) {
      int bits = Float.floatToRawIntBits(p[i]);
      int x = (bits + i * 0x9E3779B9) * 0x85EBCA6B;
      h1 += (x ^ x >>> 15) * 0xC2B2AE35;
      int y = (bits ^ i * 0x165667B1) * 0x27D4EB2F;
      h2 += (y ^ y >>> 15) * 0x85EBCA6B;
    }
    return (long) h1 << 32 | (h2 & 0xFFFFFFFFL);
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] p = new float[n];
    for (int i = 0; i < n; i++) p[i] = (float) r.nextGaussian();
    return p;
  }

  @Test
  void vectorLoopGivesTheScalarDefinitionAtEveryLengthAroundTheVectorWidth() {
    for (int n = 0; n <= 70; n++) {
      float[] p = random(n, n);
      assertEquals(reference(p), ParamsDigest.of(p), "length " + n);
    }
    float[] big = random(1_000_003, 7);
    assertEquals(reference(big), ParamsDigest.of(big));
  }

  @Test
  void anyOneElementChangedChangesBothHalves() {
    float[] p = random(1000, 3);
    p[10] = 0f;
    p[11] = Float.NaN;
    long before = ParamsDigest.of(p);
    for (int i = 0; i < p.length; i++) {
      float old = p[i];
      float[] changes = {Math.nextUp(old), -old, Float.intBitsToFloat(Float.floatToRawIntBits(old) ^ 1)};
      for (float changed : changes) {
        if (Float.floatToRawIntBits(changed) == Float.floatToRawIntBits(old)) continue;
        p[i] = changed;
        long after = ParamsDigest.of(p);
        assertNotEquals(before >>> 32, after >>> 32, "high half, element " + i + " " + old + " -> " + changed);
        assertNotEquals((int) before, (int) after, "low half, element " + i + " " + old + " -> " + changed);
      }
      p[i] = old;
    }
    assertEquals(before, ParamsDigest.of(p));
  }

  @Test
  void swappingTwoElementsChangesIt() {
    float[] p = random(257, 5);
    long before = ParamsDigest.of(p);
    float t = p[3];
    p[3] = p[200];
    p[200] = t;
    assertNotEquals(before, ParamsDigest.of(p));
  }
}
