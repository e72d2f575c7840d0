package io.ringtrain.ring;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Test helper: N connected peers on 127.0.0.1, each on its own free port. */
final class Rings {
  static final byte[] SECRET = "s3cret".getBytes(StandardCharsets.UTF_8);

  private Rings() {}

  static RingConfig config(int rank, int size) {
    return RingConfig.of(rank, size, "job-1", SECRET).withTimeouts(10_000, 10_000);
  }

  /** A peer listening on a free loopback port, with no rank yet; 10 s to authenticate. */
  static RingPeer listen() {
    return RingPeer.listen("127.0.0.1", 0, 10_000);
  }

  static InetSocketAddress local(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  static List<RingPeer> start(int size, IntFunction<RingConfig> configs) throws Exception {
    return start(size, configs, (rank, nextPort) -> local(nextPort));
  }

  /** As {@link #start(int, IntFunction)}, rank r dialling {@code route(r, port of rank r+1)}. */
  static List<RingPeer> start(int size, IntFunction<RingConfig> configs,
      java.util.function.BiFunction<Integer, Integer, InetSocketAddress> route) throws Exception {
    List<RingPeer> peers = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      peers.add(listen());
    }
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      ready.add(peers.get(r).connect(configs.apply(r), route.apply(r, peers.get((r + 1) % size).port())));
    }
    CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    return peers;
  }

  static List<RingPeer> start(int size) throws Exception {
    return start(size, r -> config(r, size));
  }

  /** Both ranks of a connected two-rank ring sum one value each: 1 + 2 = 3 on both. */
  static void assertTwoRanksSum(RingPeer rank0, RingPeer rank1) throws Exception {
    float[] a = {1};
    float[] b = {2};
    CompletableFuture.allOf(rank0.allReduce(0, 0, a, 0, 1), rank1.allReduce(0, 0, b, 0, 1))
        .get(10, TimeUnit.SECONDS);
    org.junit.jupiter.api.Assertions.assertTrue(a[0] == 3 && b[0] == 3, a[0] + " and " + b[0]);
  }

  static void closeAll(List<RingPeer> peers) {
    peers.forEach(RingPeer::close);
  }

  /** Visits every element e of a region of {@code length} with the chunk c it falls in. */
  interface ChunkElement {
    void at(int chunk, int element);
  }

  /** The ring's chunks of a region: chunk c = [c·length/n, (c+1)·length/n). */
  static void eachElement(int n, int length, ChunkElement body) {
    for (int c = 0; c < n; c++) {
      int to = (int) ((long) (c + 1) * length / n);
      for (int e = (int) ((long) c * length / n); e < to; e++) {
        body.at(c, e);
      }
    }
  }

  /** The ring's summation order: element of chunk c is ((x_c + x_c+1) + ...) in float. */
  static float[] fixedOrderSum(float[][] inputs, int offset, int length) {
    int n = inputs.length;
    float[] sum = new float[length];
    eachElement(n, length, (c, e) -> {
      float s = inputs[c][offset + e];
      for (int k = 1; k < n; k++) {
        s += inputs[(c + k) % n][offset + e];
      }
      sum[e] = s;
    });
    return sum;
  }

  /** n arrays of {@code length} values drawn from {@code value}. */
  static float[][] inputs(int n, int length, java.util.function.DoubleSupplier value) {
    float[][] inputs = new float[n][length];
    for (float[] in : inputs) {
      for (int i = 0; i < length; i++) {
        in[i] = (float) value.getAsDouble();
      }
    }
    return inputs;
  }

  /** Every rank all-reduces its copy of its input's region at once; returns the copies. */
  static float[][] allReduce(List<RingPeer> peers, long step, float[][] inputs, int offset, int length,
      WireDtype dtype) throws Exception {
    float[][] data = new float[inputs.length][];
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int r = 0; r < inputs.length; r++) {
      data[r] = inputs[r].clone();
      done.add(peers.get(r).allReduce(step, 0, data[r], offset, length, dtype));
    }
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    return data;
  }
}
