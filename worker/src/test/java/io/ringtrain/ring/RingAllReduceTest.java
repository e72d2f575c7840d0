package io.ringtrain.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class RingAllReduceTest {

  /** Small sub-chunks so that even short buffers are split and pipelined. */
  private static final int SUB = 1000;

  @ParameterizedTest(name = "{0} ranks")
  @ValueSource(ints = {1, 2, 3, 5})
  void sumsAreExactInRingOrderAndBitIdenticalOnEveryRank(int n) throws Exception {
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withSubChunkFloats(SUB));
    try {
      Random random = new Random(42 + n);
      int[] lengths = {0, 1, n - 1, n + 1, 7, 3 * SUB + 1, 100_003};
      long step = 0;
      for (int length : lengths) {
        int offset = 3; // a region inside the array, not the whole of it
        float[][] inputs = Rings.inputs(n, offset + length + 5, random::nextGaussian);
        float[][] data = Rings.allReduce(peers, step, inputs, offset, length, WireDtype.FP32);
        float[] expected = Rings.fixedOrderSum(inputs, offset, length);
        for (int r = 0; r < n; r++) {
          float[] got = java.util.Arrays.copyOfRange(data[r], offset, offset + length);
          assertArrayEquals(expected, got, "rank " + r + ", length " + length); // bit-identical
          for (int e = 0; e < length; e++) {
            double exact = 0;
            for (float[] in : inputs) {
              exact += in[offset + e];
            }
            assertEquals(exact, got[e], 1e-5 * n * (1 + Math.abs(exact)));
          }
          // Outside the region nothing moved.
          assertArrayEquals(java.util.Arrays.copyOfRange(inputs[r], 0, offset),
              java.util.Arrays.copyOfRange(data[r], 0, offset));
          assertArrayEquals(
              java.util.Arrays.copyOfRange(inputs[r], offset + length, inputs[r].length),
              java.util.Arrays.copyOfRange(data[r], offset + length, inputs[r].length));
        }
        step++;
      }
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void concurrentBucketsStartedInDifferentOrdersOverRepeatedSteps() throws Exception {
    int n = 3;
    int[] sizes = {50_000, 0, 2, 12_345, 40_000};
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withSubChunkFloats(SUB));
    try {
      Random random = new Random(7);
      for (long step = 0; step < 4; step++) {
        float[][][] inputs = new float[n][sizes.length][];
        float[][][] data = new float[n][sizes.length][];
        for (int r = 0; r < n; r++) {
          for (int b = 0; b < sizes.length; b++) {
            inputs[r][b] = new float[sizes[b]];
            for (int i = 0; i < sizes[b]; i++) {
              inputs[r][b][i] = random.nextFloat() - 0.5f;
            }
            data[r][b] = inputs[r][b].clone();
          }
        }
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          List<Integer> order = new ArrayList<>();
          for (int b = 0; b < sizes.length; b++) {
            order.add(b);
          }
          Collections.shuffle(order, random); // each rank starts its buckets in its own order
          for (int b : order) {
            done.add(peers.get(r).allReduce(step, b, data[r][b], 0, sizes[b]));
          }
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int b = 0; b < sizes.length; b++) {
          float[][] perRank = new float[n][];
          for (int r = 0; r < n; r++) {
            perRank[r] = inputs[r][b];
          }
          float[] expected = Rings.fixedOrderSum(perRank, 0, sizes[b]);
          for (int r = 0; r < n; r++) {
            assertArrayEquals(expected, data[r][b], "step " + step + " bucket " + b + " rank " + r);
          }
        }
      }
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void largeBufferWithDefaultSubChunks() throws Exception {
    int n = 2;
    int length = 3 * 1024 * 1024 + 17;
    List<RingPeer> peers = Rings.start(n);
    try {
      float[][] inputs = new float[n][length];
      Random random = new Random(3);
      for (float[] in : inputs) {
        for (int i = 0; i < length; i++) {
          in[i] = random.nextFloat();
        }
      }
      float[][] data = {inputs[0].clone(), inputs[1].clone()};
      CompletableFuture.allOf(peers.get(0).allReduce(9, 4, data[0], 0, length),
          peers.get(1).allReduce(9, 4, data[1], 0, length)).get(30, TimeUnit.SECONDS);
      float[] expected = Rings.fixedOrderSum(inputs, 0, length);
      assertArrayEquals(expected, data[0]);
      assertArrayEquals(expected, data[1]);
    } finally {
      Rings.closeAll(peers);
    }
  }
}
