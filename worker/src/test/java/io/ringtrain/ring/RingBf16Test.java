package io.ringtrain.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bf16 on the wire, checked against a reference written independently of the ring's rounding:
 * round to nearest even chosen by comparing distances in double, and the per-hop order of
 * PyTorch's bf16_compress_hook over a ring (each hop rounds what it sends) with the sums in fp32.
 */
@Timeout(60)
class RingBf16Test {
  private static final int SUB = 1000;
  /** bf16's unit roundoff: 8 significant bits. */
  private static final double U_BF16 = 0x1p-8;
  private static final double U_FP32 = 0x1p-24;

  /** Nearest bf16 by distance, ties to the even one; overflow past bf16's largest goes to infinity. */
  static float referenceRound(float f) {
    if (Float.isNaN(f) || Float.isInfinite(f)) {
      return f;
    }
    int bits = Float.floatToRawIntBits(f);
    int lo = bits & 0xFFFF0000; // toward zero
    int hi = lo + 0x10000; // away from zero, by one bf16 step (may reach infinity's bits)
    double loValue = Float.intBitsToFloat(lo);
    double hiValue = (hi & 0x7F800000) == 0x7F800000 ? Math.copySign(0x1p128, f) : Float.intBitsToFloat(hi);
    double dLo = Math.abs(f - loValue);
    double dHi = Math.abs(hiValue - f);
    int pick = dLo < dHi ? lo : dHi < dLo ? hi : (((lo >>> 16) & 1) == 0 ? lo : hi);
    return Float.intBitsToFloat(pick);
  }

  /** The ring's own rounding, fp32 to bf16 and back. */
  private static float bf16(float f) {
    return WireDtype.fromBf16(WireDtype.toBf16(f));
  }

  /** The ring's order with a rounding after every hop: r(r(r(x_c) + x_c+1) + ...) for chunk c. */
  static float[] perHopSum(float[][] inputs, int offset, int length, double[] bound) {
    int n = inputs.length;
    float[] sum = new float[length];
    Rings.eachElement(n, length, (c, e) -> {
      float x = inputs[c][offset + e];
      float s = referenceRound(x);
      double err = U_BF16 * Math.abs(x);
      for (int k = 1; k < n; k++) {
        float t = s + inputs[(c + k) % n][offset + e];
        err += (U_BF16 + U_FP32) * Math.abs(t); // the fp32 addition's rounding, then bf16's
        s = referenceRound(t);
      }
      sum[e] = s;
      bound[e] = err;
    });
    return sum;
  }

  @Test
  void roundingIsToNearestEvenAsAnIndependentReferenceHasIt() {
    List<Float> cases = new ArrayList<>(List.of(0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        Float.intBitsToFloat(0x3F808000), // 1 + 2^-8: a tie, rounds down to even 1
        Float.intBitsToFloat(0x3F818000), // a tie that rounds up to even
        Float.intBitsToFloat(0x3F808001), // just above a tie
        Float.intBitsToFloat(0x7F7F8000))); // a tie at the top: rounds to infinity
    Random random = new Random(11);
    for (int i = 0; i < 1_000_000; i++) {
      cases.add(Float.intBitsToFloat(random.nextInt()));
    }
    for (float f : cases) {
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(bf16(f)), "NaN " + Integer.toHexString(Float.floatToRawIntBits(f)));
        continue;
      }
      assertEquals(Float.floatToRawIntBits(referenceRound(f)), Float.floatToRawIntBits(bf16(f)),
          () -> "rounding " + f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ")");
    }
    // NaNs whose payload sits in the low bits would become infinity (or flip sign) with a plain bias.
    for (int bits : new int[] {0x7F800001, 0x7FFFFFFF, 0xFF800001, 0xFFFFFFFF}) {
      assertTrue(Float.isNaN(bf16(Float.intBitsToFloat(bits))), Integer.toHexString(bits));
    }
    assertEquals(Float.POSITIVE_INFINITY, bf16(Float.MAX_VALUE));
    assertEquals(1f, bf16(Float.intBitsToFloat(0x3F808000)));
  }

  /** The codec's Vector API loops against the scalar rounding, on every kind of float bits. */
  @Test
  void framesRoundWidenAndAddAsTheScalarRoundingDoes() {
    Random random = new Random(23);
    int count = 100_003; // vector loops and a scalar tail
    float[] src = new float[count];
    float[] data = new float[count];
    for (int i = 0; i < count; i++) {
      src[i] = Float.intBitsToFloat(random.nextInt()); // NaNs, infinities, subnormals, ties
      data[i] = (float) random.nextGaussian();
    }
    src[0] = Float.intBitsToFloat(0x7F800001); // NaNs a plain bias would break
    src[1] = Float.intBitsToFloat(0xFFFFFFFF);
    src[2] = Float.intBitsToFloat(0x3F808000);
    ByteBuf frame = FrameCodec.encode(UnpooledByteBufAllocator.DEFAULT, 0, 0, FrameCodec.REDUCE_SCATTER,
        WireDtype.BF16, 0, 0, src, 0, count);
    ByteBuf sum = null;
    try {
      ByteBuffer payload = frame.nioBuffer(FrameCodec.HEADER_BYTES, count * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        assertEquals(WireDtype.toBf16(src[i]), payload.getShort(i * 2), "element " + i);
      }
      float[] widened = new float[count];
      FrameCodec.read(WireDtype.BF16, payload, widened, 0, count);
      float[] before = data.clone();
      sum = FrameCodec.addAndForward(UnpooledByteBufAllocator.DEFAULT, 0, 0, FrameCodec.ALL_GATHER,
          WireDtype.BF16, 0, 0, data, 0, count, payload, true);
      ByteBuffer out = sum.nioBuffer(FrameCodec.HEADER_BYTES, count * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        short bits = payload.getShort(i * 2);
        assertEquals(Float.floatToRawIntBits(WireDtype.fromBf16(bits)), Float.floatToRawIntBits(widened[i]));
        short expected = WireDtype.toBf16(before[i] + WireDtype.fromBf16(bits));
        if (Float.isNaN(WireDtype.fromBf16(expected))) {
          assertTrue(Float.isNaN(WireDtype.fromBf16(out.getShort(i * 2))) && Float.isNaN(data[i]), "element " + i);
        } else {
          assertEquals(expected, out.getShort(i * 2), "element " + i);
          assertEquals(Float.floatToRawIntBits(WireDtype.fromBf16(expected)), Float.floatToRawIntBits(data[i]));
        }
      }
      // A middle hop sends the same sums and leaves its own values as they were.
      float[] middle = before.clone();
      ByteBuf passed = FrameCodec.addAndForward(UnpooledByteBufAllocator.DEFAULT, 0, 0,
          FrameCodec.REDUCE_SCATTER, WireDtype.BF16, 0, 0, middle, 0, count, payload, false);
      try {
        assertEquals(sum.slice(FrameCodec.HEADER_BYTES, count * 2), passed.slice(FrameCodec.HEADER_BYTES, count * 2));
        assertArrayEquals(before, middle);
      } finally {
        passed.release();
      }
    } finally {
      frame.release();
      if (sum != null) sum.release();
    }
  }

  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {2, 3, 4, 5})
  void sumsAreTheReferencesBitForBitOnEveryRankAndEveryRunWithinTheErrorBound(int n) throws Exception {
    List<RingPeer> peers = Rings.start(n,
        r -> Rings.config(r, n).withSubChunkFloats(SUB).withWireDtype(WireDtype.BF16));
    try {
      Random random = new Random(5 + n);
      int[] lengths = {0, 1, n + 1, 7, 3 * SUB + 1, 100_003};
      long step = 0;
      double worstBf16 = 0;
      double worstFp32 = 0;
      for (int length : lengths) {
        int offset = 3;
        // Gradients span magnitudes: mix scales so that partial sums cancel and grow.
        float[][] inputs = Rings.inputs(n, offset + length + 5,
            () -> random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        double[] bound = new double[length];
        float[] expected = perHopSum(inputs, offset, length, bound);
        float[] fp32 = Rings.fixedOrderSum(inputs, offset, length);
        for (int run = 0; run < 2; run++, step++) {
          float[][] data = Rings.allReduce(peers, step, inputs, offset, length, WireDtype.BF16);
          for (int r = 0; r < n; r++) {
            float[] got = Arrays.copyOfRange(data[r], offset, offset + length);
            assertArrayEquals(expected, got, "rank " + r + ", length " + length + ", run " + run);
            assertArrayEquals(Arrays.copyOfRange(inputs[r], 0, offset), Arrays.copyOfRange(data[r], 0, offset));
            assertArrayEquals(Arrays.copyOfRange(inputs[r], offset + length, inputs[r].length),
                Arrays.copyOfRange(data[r], offset + length, inputs[r].length));
          }
        }
        for (int e = 0; e < length; e++) {
          double exact = 0;
          double scale = 0;
          for (float[] in : inputs) {
            exact += in[offset + e];
            scale += Math.abs(in[offset + e]);
          }
          double error = Math.abs(expected[e] - exact);
          assertTrue(error <= bound[e] * (1 + 1e-9), "element " + e + ": error " + error + " > bound " + bound[e]);
          // Relative to the sum of magnitudes (the scale cancellation leaves), as for fp32 with 2^-24.
          worstBf16 = Math.max(worstBf16, error / scale);
          worstFp32 = Math.max(worstFp32, Math.abs(fp32[e] - exact) / scale);
        }
      }
      assertTrue(worstBf16 <= n * U_BF16, "bf16 error " + worstBf16 + " exceeds n * 2^-8");
      assertTrue(worstFp32 <= n * U_FP32, "fp32 error " + worstFp32 + " exceeds n * 2^-24");
      assertTrue(worstBf16 > 1000 * worstFp32, "bf16 must actually round: " + worstBf16 + " vs " + worstFp32);
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void anExactAllReduceOnABf16RingIsFp32BitForBit() throws Exception {
    int n = 3;
    List<RingPeer> peers = Rings.start(n,
        r -> Rings.config(r, n).withSubChunkFloats(SUB).withWireDtype(WireDtype.BF16));
    try {
      float[][] inputs = Rings.inputs(n, 5_001, new Random(2)::nextGaussian);
      float[][] data = Rings.allReduce(peers, 0, inputs, 0, 5_001, WireDtype.FP32);
      for (int r = 0; r < n; r++) {
        assertArrayEquals(Rings.fixedOrderSum(inputs, 0, 5_001), data[r], "rank " + r);
      }
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void ranksWithDifferentWireDtypesFailToConnectNamingBoth() throws Exception {
    RingPeer rank0 = Rings.listen();
    RingPeer rank1 = Rings.listen();
    try {
      long start = System.nanoTime();
      CompletableFuture<Void> ready0 = rank0.connect(Rings.config(0, 2), Rings.local(rank1.port()));
      CompletableFuture<Void> ready1 = rank1.connect(Rings.config(1, 2).withWireDtype(WireDtype.BF16),
          Rings.local(rank0.port()));
      for (CompletableFuture<Void> ready : List.of(ready0, ready1)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> ready.get(10, TimeUnit.SECONDS));
        assertInstanceOf(RingException.class, e.getCause());
        String message = e.getCause().getMessage();
        assertTrue(message.contains("wire dtype mismatch") && message.contains("fp32")
            && message.contains("bf16"), message);
      }
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms < 5_000, "a mismatch fails at connect, not at a timeout: took " + ms + " ms");
    } finally {
      rank0.close();
      rank1.close();
    }
  }

  @Test
  void framesCarryTheirDtypeSoMismatchedOperationsFailClearly() throws Exception {
    List<RingPeer> peers = Rings.start(2, r -> Rings.config(r, 2).withWireDtype(WireDtype.BF16));
    try {
      float[] a = new float[100];
      float[] b = new float[100];
      CompletableFuture<Void> f0 = peers.get(0).allReduce(0, 0, a, 0, 100, WireDtype.FP32);
      CompletableFuture<Void> f1 = peers.get(1).allReduce(0, 0, b, 0, 100, WireDtype.BF16);
      for (CompletableFuture<Void> f : List.of(f0, f1)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("same cluster.wire_dtype"), e.getCause().getMessage());
      }
    } finally {
      Rings.closeAll(peers);
    }
    List<RingPeer> fp32Ring = Rings.start(2);
    try {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> fp32Ring.get(0).allReduce(0, 0, new float[4], 0, 4, WireDtype.BF16).get(10, TimeUnit.SECONDS));
      assertInstanceOf(IllegalArgumentException.class, e.getCause());
    } finally {
      Rings.closeAll(fp32Ring);
    }
  }
}
