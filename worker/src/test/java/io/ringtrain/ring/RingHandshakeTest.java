package io.ringtrain.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.auth.Hmac;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The ring's listen-before-rank and its mutual handshake, against raw sockets that misbehave. */
@Timeout(60)
class RingHandshakeTest {

  /** What an impostor on the next rank's address sends as its last handshake message. */
  enum ImpostorProof {
    /** The old protocol's accept byte, then noise: what a dialer that checks nothing takes. */
    ACCEPT_BYTE_THEN_NOISE,
    /** The dialer's own MAC, sent back to it. */
    REFLECTED_DIALER_MAC
  }

  @ParameterizedTest
  @EnumSource(ImpostorProof.class)
  void dialerRefusesAListenerThatDoesNotKnowTheSecret(ImpostorProof proof) throws Exception {
    try (ServerSocket impostor = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        RingPeer rank0 = Rings.listen()) {
      CompletableFuture<byte[]> dialerSent = CompletableFuture.supplyAsync(() -> {
        try (Socket s = impostor.accept()) {
          s.setSoTimeout(10_000);
          s.getOutputStream().write(ByteBuffer.allocate(HmacHandshake.HELLO_BYTES)
              .order(ByteOrder.LITTLE_ENDIAN).putInt(HmacHandshake.HELLO_MAGIC).put(Hmac.nonce()).array());
          byte[] answer = new byte[HmacHandshake.ANSWER_BYTES];
          s.getInputStream().readNBytes(answer, 0, answer.length);
          byte[] mac = proof == ImpostorProof.REFLECTED_DIALER_MAC
              ? Arrays.copyOfRange(answer, answer.length - HmacHandshake.MAC_BYTES, answer.length)
              : Arrays.copyOf(new byte[] {'A'}, HmacHandshake.MAC_BYTES);
          s.getOutputStream().write(ByteBuffer.allocate(HmacHandshake.PROOF_BYTES)
              .order(ByteOrder.LITTLE_ENDIAN).putInt(WireDtype.FP32.code()).put(mac).array());
          // Anything the dialer sends after our "proof" would be a ring frame for an impostor.
          return s.getInputStream().readAllBytes();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> rank0.connect(Rings.config(0, 2).withTimeouts(5_000, 5_000),
              Rings.local(impostor.getLocalPort())).get(10, TimeUnit.SECONDS));
      assertInstanceOf(RingException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("no knowledge of this job's secret"),
          e.getCause().getMessage());
      assertEquals(0, dialerSent.get(10, TimeUnit.SECONDS).length, "the dialer sent a frame to an impostor");
    }
  }

  @Test
  void listenerTakesItsPortBeforeItsRankAndChecksAPeerThatCameEarly() throws Exception {
    try (RingPeer rank0 = Rings.listen(); RingPeer rank1 = Rings.listen()) {
      // The port that is announced is held from the start: no one can take it in a gap.
      assertThrows(BindException.class,
          () -> new ServerSocket(rank0.port(), 1, InetAddress.getLoopbackAddress()).close());
      // Rank 1 knows its place first and connects to rank 0, which does not know its own yet.
      CompletableFuture<Void> ready1 = rank1.connect(Rings.config(1, 2), Rings.local(rank0.port()));
      Thread.sleep(300);
      assertTrue(!ready1.isDone(), "rank 0 must not accept before it knows whom to accept");
      CompletableFuture<Void> ready0 = rank0.connect(Rings.config(0, 2), Rings.local(rank1.port()));
      CompletableFuture.allOf(ready0, ready1).get(10, TimeUnit.SECONDS);
      Rings.assertTwoRanksSum(rank0, rank1);
    }
  }

  @Test
  void connectionsBeforeTheRankIsKnownAreBoundedInBytesAndTime() throws Exception {
    long handshakeMs = 500;
    try (RingPeer peer = RingPeer.listen("127.0.0.1", 0, handshakeMs);
        Socket chatty = new Socket("127.0.0.1", peer.port());
        Socket silent = new Socket("127.0.0.1", peer.port())) {
      chatty.setSoTimeout(5_000);
      silent.setSoTimeout(5_000);
      long start = System.nanoTime();
      chatty.getOutputStream().write(new byte[HmacHandshake.ANSWER_BYTES + 4096]);
      assertClosedAfterHello(chatty.getInputStream());
      long chattyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(chattyMs < handshakeMs, "a peer that says too much is closed at once, took " + chattyMs);
      assertClosedAfterHello(silent.getInputStream());
      long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(silentMs >= handshakeMs - 50 && silentMs < handshakeMs + 2_000, "took " + silentMs);
    }
  }

  private static void assertClosedAfterHello(InputStream in) throws IOException {
    assertEquals(HmacHandshake.HELLO_BYTES, in.readNBytes(HmacHandshake.HELLO_BYTES).length);
    assertEquals(-1, in.read(), "the listener closes the connection");
  }

  /**
   * The dialer's side of the handshake by hand, as rank 0 of job-1 dialing rank 1; checks the
   * listener's proof. Used by tests that then send raw frames.
   */
  static void authenticateAsRank0(DataInputStream in, OutputStream out) throws IOException {
    byte[] hello = new byte[HmacHandshake.HELLO_BYTES];
    in.readFully(hello);
    byte[] listenerNonce = Arrays.copyOfRange(hello, Integer.BYTES, hello.length);
    byte[] dialerNonce = Hmac.nonce();
    out.write(ByteBuffer.allocate(HmacHandshake.ANSWER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(0).putInt(WireDtype.FP32.code()).put(dialerNonce)
        .put(HmacHandshake.mac(Rings.SECRET, HmacHandshake.DIALER, listenerNonce, dialerNonce, 0, 1,
            WireDtype.FP32.code(), "job-1"))
        .array());
    assertEquals(WireDtype.FP32.code(), Integer.reverseBytes(in.readInt()), "the listener's wire dtype");
    byte[] proof = new byte[HmacHandshake.MAC_BYTES];
    in.readFully(proof);
    assertArrayEquals(
        HmacHandshake.mac(Rings.SECRET, HmacHandshake.LISTENER, listenerNonce, dialerNonce, 0, 1,
            WireDtype.FP32.code(), "job-1"),
        proof);
  }
}
