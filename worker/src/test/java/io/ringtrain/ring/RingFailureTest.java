package io.ringtrain.ring;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RingFailureTest {

  @Test
  void peerWithWrongSecretIsRefusedAndTheRightOneStillGetsIn() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Logger log = Logger.getLogger(HmacHandshake.class.getName());
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        logged.add(new java.util.logging.SimpleFormatter().formatMessage(record));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(capture);
    RingPeer rank0 = Rings.listen();
    RingPeer intruder = Rings.listen();
    RingPeer rank1 = Rings.listen();
    try {
      int port0 = rank0.port();
      int port1 = rank1.port();
      CompletableFuture<Void> ready0 = rank0.connect(Rings.config(0, 2), Rings.local(port1));
      RingConfig wrongSecret = new RingConfig(1, 2, "job-1", "wrong".getBytes(StandardCharsets.UTF_8),
          5_000, 5_000, 1024, WireDtype.FP32);
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> intruder.connect(wrongSecret, Rings.local(port0)).get(10, TimeUnit.SECONDS));
      assertInstanceOf(RingException.class, refused.getCause());
      assertTrue(refused.getCause().getMessage().contains("refused this rank"),
          refused.getCause().getMessage());
      assertTrue(logged.stream().anyMatch(m -> m.startsWith("refused ring peer from /127.0.0.1:")
          && m.endsWith(": bad HMAC")), logged.toString());

      CompletableFuture<Void> ready1 = rank1.connect(Rings.config(1, 2), Rings.local(port0));
      CompletableFuture.allOf(ready0, ready1).get(10, TimeUnit.SECONDS);
      float[] a = {1, 2};
      float[] b = {10, 20};
      CompletableFuture.allOf(rank0.allReduce(0, 0, a, 0, 2), rank1.allReduce(0, 0, b, 0, 2))
          .get(10, TimeUnit.SECONDS);
      assertTrue(a[0] == 11 && a[1] == 22 && b[0] == 11 && b[1] == 22);
    } finally {
      log.removeHandler(capture);
      rank0.close();
      intruder.close();
      rank1.close();
    }
  }

  @Test
  void peerClosedMidOperationFailsEveryoneElseQuicklyNamingIt() throws Exception {
    int n = 5;
    long timeoutMs = 5_000;
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withTimeouts(timeoutMs, 10_000));
    try {
      List<CompletableFuture<Void>> pending = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        if (r != 2) { // rank 2 never joins this bucket, so the others are stuck mid-operation
          pending.add(peers.get(r).allReduce(0, 0, new float[1_000_000], 0, 1_000_000));
        }
      }
      Thread.sleep(200);
      long start = System.nanoTime();
      peers.get(2).close();
      assertAllFail(pending, timeoutMs + 2_000, "rank 2");
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs < timeoutMs, "took " + elapsedMs + " ms");
      // The ring stays broken: later calls fail at once instead of hanging.
      ExecutionException later = assertThrows(ExecutionException.class,
          () -> peers.get(0).allReduce(1, 0, new float[4], 0, 4).get(2, TimeUnit.SECONDS));
      assertInstanceOf(RingException.class, later.getCause());
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void rankThatFinishedCanLeaveWhileOthersAreStillFinishing() throws Exception {
    int n = 3;
    int length = 300_000;
    for (int round = 0; round < 3; round++) {
      List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withSubChunkFloats(4096));
      try {
        float[][] data = new float[n][length];
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          java.util.Arrays.fill(data[r], r + 1);
          done.add(peers.get(r).allReduce(0, 0, data[r], 0, length));
        }
        int first = CompletableFuture.anyOf(done.toArray(CompletableFuture[]::new))
            .thenApply(v -> done.indexOf(done.stream().filter(CompletableFuture::isDone)
                .findFirst().orElseThrow())).get(10, TimeUnit.SECONDS);
        peers.get(first).close(); // leaves with nothing pending: a goodbye, not a failure
        for (int r = 0; r < n; r++) {
          done.get(r).get(10, TimeUnit.SECONDS);
          assertTrue(data[r][0] == 6 && data[r][length - 1] == 6);
        }
        ExecutionException after = assertThrows(ExecutionException.class,
            () -> peers.get((first + 1) % n).allReduce(1, 0, new float[8], 0, 8)
                .get(5, TimeUnit.SECONDS));
        assertTrue(after.getCause().getMessage().contains("rank " + first), after.getMessage());
      } finally {
        Rings.closeAll(peers);
      }
    }
  }

  @Test
  void linkDroppedWithoutGoodbyeFailsEveryoneQuicklyNamingThePeer() throws Exception {
    int n = 4;
    long timeoutMs = 5_000;
    LinkRelay[] oneToTwo = new LinkRelay[1];
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withTimeouts(timeoutMs, 10_000), (rank, nextPort) -> {
      if (rank != 1) return Rings.local(nextPort);
      try {
        oneToTwo[0] = new LinkRelay(nextPort);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return oneToTwo[0].address();
    });
    try {
      List<CompletableFuture<Void>> pending = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        if (r != 1) {
          pending.add(peers.get(r).allReduce(0, 0, new float[100_000], 0, 100_000));
        }
      }
      Thread.sleep(100);
      long start = System.nanoTime();
      // What a crash of rank 1 looks like to rank 2: its link from rank 1 just ends.
      oneToTwo[0].cutAtReceiver();
      assertAllFail(pending, timeoutMs + 2_000, "rank 1");
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs < timeoutMs, "took " + elapsedMs + " ms");
    } finally {
      Rings.closeAll(peers);
      oneToTwo[0].close();
    }
  }

  @Test
  void connectRetriesUntilTheNextRankListens() throws Exception {
    int port1;
    try (ServerSocket probe = new ServerSocket(0)) {
      port1 = probe.getLocalPort();
    }
    try (RingPeer rank0 = Rings.listen()) {
      // nobody listens there yet
      CompletableFuture<Void> ready0 = rank0.connect(Rings.config(0, 2), Rings.local(port1));
      Thread.sleep(400);
      try (RingPeer rank1 = RingPeer.listen("127.0.0.1", port1, 10_000)) {
        CompletableFuture<Void> ready1 = rank1.connect(Rings.config(1, 2), Rings.local(rank0.port()));
        CompletableFuture.allOf(ready0, ready1).get(10, TimeUnit.SECONDS);
        Rings.assertTwoRanksSum(rank0, rank1);
      }
    }
  }

  /**
   * A fault inside this rank's own event loop (here a null buffer slipped past the public checks;
   * in the field, a class that failed to load) must stop the whole ring at once, not after every
   * rank's stall timeout.
   */
  @Test
  void errorStartingAnAllReduceFailsTheRingAtOnce() throws Exception {
    int n = 2;
    long timeoutMs = 10_000;
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withTimeouts(timeoutMs, 10_000));
    try {
      RingAllReduce broken = peers.get(0).uncheckedRing();
      long start = System.nanoTime();
      CompletableFuture<Void> f1 = peers.get(1).allReduce(0, 0, new float[1000], 0, 1000);
      CompletableFuture<Void> f0 = broken.allReduce(0, 0, null, 0, 1000, WireDtype.FP32);
      assertAllFail(List.of(f0), timeoutMs + 2_000, "failed starting an all-reduce");
      assertAllFail(List.of(f1), timeoutMs + 2_000, "ring aborted by rank 0");
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs < timeoutMs / 2, "took " + elapsedMs + " ms");
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void aPeerSlowToItsFirstStepIsNotAStall() throws Exception {
    int n = 3;
    long timeoutMs = 400;
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withTimeouts(timeoutMs, 10_000));
    try {
      CompletableFuture<Void> f0 = peers.get(0).allReduce(0, 0, new float[1000], 0, 1000);
      CompletableFuture<Void> f1 = peers.get(1).allReduce(0, 0, new float[1000], 0, 1000);
      Thread.sleep(3 * timeoutMs); // rank 2's first step: a cold JVM compiling its kernels
      CompletableFuture<Void> f2 = peers.get(2).allReduce(0, 0, new float[1000], 0, 1000);
      for (CompletableFuture<Void> f : List.of(f0, f1, f2)) f.get(5, TimeUnit.SECONDS);
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void stalledPeerIsDetectedWithinTheTimeout() throws Exception {
    int n = 3;
    long timeoutMs = 400;
    List<RingPeer> peers = Rings.start(n, r -> Rings.config(r, n).withTimeouts(timeoutMs, 10_000));
    try {
      List<CompletableFuture<Void>> first = new java.util.ArrayList<>();
      for (RingPeer p : peers) first.add(p.allReduce(0, 0, new float[1000], 0, 1000));
      for (CompletableFuture<Void> f : first) f.get(5, TimeUnit.SECONDS);
      long start = System.nanoTime();
      CompletableFuture<Void> f0 = peers.get(0).allReduce(1, 0, new float[1000], 0, 1000);
      CompletableFuture<Void> f1 = peers.get(1).allReduce(1, 0, new float[1000], 0, 1000);
      // Rank 2 is alive but never starts the step's bucket: a stall, not a disconnect.
      assertAllFail(List.of(f0, f1), TimeUnit.SECONDS.toMillis(5), "stalled");
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(elapsedMs >= timeoutMs && elapsedMs < timeoutMs + 1_500, "took " + elapsedMs);
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void mismatchedStepsFailClearly() throws Exception {
    List<RingPeer> peers = Rings.start(2);
    try {
      CompletableFuture<Void> f0 = peers.get(0).allReduce(5, 0, new float[10], 0, 10);
      CompletableFuture<Void> f1 = peers.get(1).allReduce(6, 0, new float[10], 0, 10);
      assertAllFail(List.of(f0, f1), TimeUnit.SECONDS.toMillis(5), "step mismatch");
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void mismatchedBucketSizesFailClearly() throws Exception {
    List<RingPeer> peers = Rings.start(2);
    try {
      CompletableFuture<Void> f0 = peers.get(0).allReduce(0, 0, new float[10], 0, 10);
      CompletableFuture<Void> f1 = peers.get(1).allReduce(0, 0, new float[12], 0, 12);
      assertAllFail(List.of(f0, f1), TimeUnit.SECONDS.toMillis(5), "bad frame");
    } finally {
      Rings.closeAll(peers);
    }
  }

  @Test
  void portInUseIsNamed() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      RingException e = assertThrows(RingException.class,
          () -> RingPeer.listen("127.0.0.1", taken.getLocalPort(), 1_000));
      assertTrue(e.getMessage().contains("ring port " + taken.getLocalPort() + " is already in use"),
          e.getMessage());
    }
  }

  @Test
  void unreachablePeerFailsAtTheConnectDeadline() throws Exception {
    int deadPort;
    try (ServerSocket probe = new ServerSocket(0)) {
      deadPort = probe.getLocalPort();
    }
    try (RingPeer peer = Rings.listen()) {
      long start = System.nanoTime();
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> peer.connect(Rings.config(0, 2).withTimeouts(5_000, 700), Rings.local(deadPort))
              .get(10, TimeUnit.SECONDS));
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertInstanceOf(RingException.class, e.getCause());
      assertTrue(elapsedMs >= 600 && elapsedMs < 3_000, "took " + elapsedMs);
      assertFalse(e.getCause().getMessage().isEmpty());
    }
  }

  @Test
  void oversizedAndGarbledFramesAreRejectedWithAClearError() throws Exception {
    assertTrue(reasonForBadFrame(1025, FrameCodec.MAGIC, 0)
        .contains("carries 1025 values, limit is 1024"));
    assertTrue(reasonForBadFrame(4, 0x12345678, 0).contains("bad magic 0x12345678"));
    assertTrue(reasonForBadFrame(4, FrameCodec.MAGIC, 7).contains("unknown wire dtype 7"));
  }

  /** Authenticates as rank 0 by hand, sends one bad header, returns the abort reason sent back. */
  private static String reasonForBadFrame(int floats, int magic, int dtype) throws Exception {
    try (ServerSocket silentNext = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        RingPeer peer = Rings.listen();
        java.net.Socket socket = new java.net.Socket("127.0.0.1", peer.port())) {
      peer.connect(Rings.config(1, 2).withSubChunkFloats(1024), Rings.local(silentNext.getLocalPort()));
      socket.setSoTimeout(5_000);
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      RingHandshakeTest.authenticateAsRank0(in, socket.getOutputStream());
      java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(FrameCodec.HEADER_BYTES)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .putInt(magic).putLong(0).putInt(0).putShort((short) FrameCodec.REDUCE_SCATTER)
          .putShort((short) dtype).putInt(0).putInt(0).putInt(floats);
      socket.getOutputStream().write(header.array());
      byte[] reply = new byte[FrameCodec.HEADER_BYTES];
      in.readFully(reply);
      java.nio.ByteBuffer abort = java.nio.ByteBuffer.wrap(reply).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      assertTrue(abort.getInt(16) == FrameCodec.ABORT);
      byte[] reason = new byte[abort.getInt(28)];
      in.readFully(reason);
      assertTrue(in.read() == -1, "the link is closed after the abort");
      return new String(reason, StandardCharsets.UTF_8);
    }
  }

  /** Each future fails within waitMs with a RingException whose message contains {@code expected}. */
  private static void assertAllFail(List<CompletableFuture<Void>> futures, long waitMs,
      String expected) {
    for (CompletableFuture<Void> f : futures) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> f.get(waitMs, TimeUnit.MILLISECONDS));
      assertInstanceOf(RingException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains(expected), e.getCause().getMessage());
    }
  }
}
