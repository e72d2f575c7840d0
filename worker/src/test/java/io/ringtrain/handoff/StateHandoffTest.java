package io.ringtrain.handoff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.proto.CheckpointManifest;
import io.ringtrain.proto.DataCursor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A survivor's state over a real socket: whole, or refused with the reason. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StateHandoffTest {
  private static final String SECRET = "s3cret";

  static Checkpoints.Loaded state(long step, int floats) {
    Random r = new Random(step);
    Map<String, float[]> t = new LinkedHashMap<>();
    for (String name : new String[] {"params", "adam_m", "adam_v"}) {
      float[] a = new float[floats];
      for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
      t.put(name, a);
    }
    CheckpointManifest m = CheckpointManifest.newBuilder().setStep(step).setTokensSeen(step * 64).setRunId("run")
        .setCursor(DataCursor.newBuilder().setEpoch(1).setPosition(3).setSeed(7)).build();
    return new Checkpoints.Loaded(new Path("/held"), m, t);
  }

  @Test
  void theHeldStateArrivesBitForBit() throws Exception {
    Checkpoints.Loaded held = state(12, 600_001); // more than one chunk, not a multiple of one
    try (StateServer server = StateServer.listen("127.0.0.1", "job", SECRET)) {
      server.hold(held);
      Checkpoints.Loaded got = StateFetch.fetch("127.0.0.1", server.port(), "job", SECRET, 12);
      assertEquals(held.manifest(), got.manifest());
      assertEquals(held.tensors().keySet(), got.tensors().keySet());
      for (String name : held.tensors().keySet()) assertArrayEquals(held.tensors().get(name), got.tensors().get(name), name);
      assertEquals("peer://127.0.0.1:" + server.port() + "/step-12", got.dir().toString());
    }
  }

  @Test
  void aWrongSecretAnotherJobOrAnotherStepIsRefusedWithTheReason() throws Exception {
    try (StateServer server = StateServer.listen("127.0.0.1", "job", SECRET)) {
      IOException none = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", server.port(), "job", SECRET, 12));
      assertTrue(none.getMessage().contains("holds no state, not step 12"), none.getMessage());
      server.hold(state(12, 10));
      IOException secret = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", server.port(), "job", "guess", 12));
      assertTrue(secret.getMessage().contains("authentication failed"), secret.getMessage());
      IOException job = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", server.port(), "other", SECRET, 12));
      assertTrue(job.getMessage().contains("authentication failed"), job.getMessage());
      IOException step = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", server.port(), "job", SECRET, 11));
      assertTrue(step.getMessage().contains("holds step 12, not step 11"), step.getMessage());
    }
  }

  @Test
  void aServerWithAnotherSecretServesNothing() throws Exception {
    try (StateServer impostor = StateServer.listen("127.0.0.1", "job", "another secret")) {
      impostor.hold(state(12, 10));
      IOException e = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", impostor.port(), "job", SECRET, 12));
      // It cannot verify our request either, so it refuses before it could send anything.
      assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    }
  }

  @Test
  void aByteDamagedInTransitIsCaughtByTheChecksum() throws Exception {
    try (StateServer server = StateServer.listen("127.0.0.1", "job", SECRET);
         Relay relay = new Relay(server.port(), 2_000_000)) {
      server.hold(state(12, 600_000));
      IOException e = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", relay.port(), "job", SECRET, 12));
      assertTrue(e.getMessage().contains("arrived damaged (CRC32C"), e.getMessage());
      assertEquals(1, relay.flipped.get());
    }
  }

  @Test
  void aDonorThatDiesMidStreamIsNamed() throws Exception {
    try (StateServer server = StateServer.listen("127.0.0.1", "job", SECRET);
         Relay relay = new Relay(server.port(), -2_000_000)) {
      server.hold(state(12, 600_000));
      IOException e = assertThrows(IOException.class, () -> StateFetch.fetch("127.0.0.1", relay.port(), "job", SECRET, 12));
      assertTrue(e.getMessage().contains("ended early (the peer died?)"), e.getMessage());
    }
  }

  /**
   * A TCP relay between the fetcher and the server that, {@code at} bytes into the server's reply,
   * flips one bit (at > 0) or cuts the connection (at < 0).
   */
  private static final class Relay implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    final AtomicLong flipped = new AtomicLong();

    Relay(int serverPort, long at) throws IOException {
      Thread t = new Thread(() -> {
        try (Socket client = socket.accept(); Socket server = new Socket("127.0.0.1", serverPort)) {
          Thread up = new Thread(() -> copy(client, server, Long.MAX_VALUE, false));
          up.setDaemon(true);
          up.start();
          copy(server, client, Math.abs(at), at > 0);
        } catch (IOException e) {
          // the test sees the outcome on the fetching side
        }
      });
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void copy(Socket from, Socket to, long at, boolean flip) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        byte[] buf = new byte[8192];
        long done = 0;
        for (int n; (n = in.read(buf)) > 0; done += n) {
          if (done <= at && at < done + n) {
            if (!flip) {
              out.write(buf, 0, (int) (at - done));
              out.flush();
              return; // the try closes both ends: the donor is gone
            }
            buf[(int) (at - done)] ^= 0x10;
            flipped.incrementAndGet();
          }
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // closed
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
