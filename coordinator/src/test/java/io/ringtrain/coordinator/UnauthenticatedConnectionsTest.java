package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.proto.ControlMessage;
import io.ringtrain.proto.JobSpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;

/** Raw sockets that never authenticate: silent, trickling, oversized, too many. */
@Tag("slow")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnauthenticatedConnectionsTest {
  static final int FAILURE_TIMEOUT_MS = 800;
  static final long DEADLINE_MS = JoinDeadline.deadlineMs(FAILURE_TIMEOUT_MS);

  static JobSpec spec(int failureTimeoutMs) {
    return JobSpec.newBuilder().setCluster(ClusterSpec.newBuilder().setWorkers(1).setHeartbeatMs(100)
        .setFailureTimeoutMs(failureTimeoutMs)).build();
  }

  static Coordinator coordinator() throws Exception {
    return new Coordinator(spec(FAILURE_TIMEOUT_MS), "job", CoordinatorTest.SECRET, "127.0.0.1", 0, 30_000,
        new CoordinatorTest.Recorder());
  }

  static Socket connect(Coordinator c) throws IOException {
    Socket s = new Socket("127.0.0.1", c.port());
    s.setSoTimeout((int) DEADLINE_MS + 5_000);
    return s;
  }

  /** Reads the coordinator's first frame, which must be its challenge. */
  static void readChallenge(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] frame = new byte[in.readInt()];
    in.readFully(frame);
    assertTrue(ControlMessage.parseFrom(frame).hasChallenge());
  }

  /** True when the coordinator closed the connection (end of stream, or a reset of our unread bytes). */
  static boolean closedByCoordinator(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketException reset) {
      return true;
    }
  }

  @Test
  void silentAndTricklingConnectionsAreClosedAtTheJoinDeadline() throws Exception {
    try (Coordinator c = coordinator(); Socket silent = connect(c); Socket trickling = connect(c)) {
      long start = System.nanoTime();
      readChallenge(silent);
      readChallenge(trickling);
      DataOutputStream drip = new DataOutputStream(trickling.getOutputStream());
      drip.writeInt(1000); // a frame that never completes, a byte at a time
      boolean open = true;
      for (int i = 0; i < DEADLINE_MS / 100 + 30 && open; i++) {
        Thread.sleep(100);
        try {
          drip.write(0);
          drip.flush();
        } catch (SocketException closed) {
          open = false;
        }
      }
      assertTrue(closedByCoordinator(trickling), "a trickling connection stays unauthenticated");
      assertTrue(closedByCoordinator(silent), "a silent connection stays unauthenticated");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms >= DEADLINE_MS - 100 && ms < DEADLINE_MS + 2_000, "closed after " + ms + " ms");
    }
  }

  @Test
  void oversizedFrameBeforeTheJoinClosesTheConnectionAtOnce() throws Exception {
    try (Coordinator c = coordinator(); Socket s = connect(c)) {
      readChallenge(s);
      long start = System.nanoTime();
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(ControlPipeline.MAX_FRAME_BYTES - 1024); // what a worker may send after its join
      out.write(new byte[1024]);
      out.flush();
      assertTrue(closedByCoordinator(s), "the coordinator buffers a stranger's large frame");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms < DEADLINE_MS / 2, "closed after " + ms + " ms, not at once");
    }
  }

  @Test
  void connectionsOverTheCapAreClosedAndAWorkerGetsInOnceTheStrangersTimeOut() throws Exception {
    int cap = 1 + UnauthenticatedConnectionCap.SPARE;
    int over = 10;
    List<Socket> strangers = new ArrayList<>();
    try (Coordinator c = coordinator()) {
      for (int i = 0; i < cap + over; i++) strangers.add(connect(c));
      int challenged = 0;
      int refused = 0;
      for (Socket s : strangers) {
        try {
          readChallenge(s);
          challenged++;
        } catch (EOFException closedUnchallenged) {
          refused++;
        }
      }
      assertEquals(cap, challenged);
      assertEquals(over, refused);
      for (Socket s : strangers) assertTrue(closedByCoordinator(s));
      // The deadline gave their places back: the job's worker joins.
      try (CoordinatorClient worker = CoordinatorClient.join("127.0.0.1", c.port(), "job", CoordinatorTest.SECRET,
          "127.0.0.1", 9000, 10_000)) {
        assertEquals(0, worker.assignment().getRank());
      }
    } finally {
      for (Socket s : strangers) s.close();
    }
  }
}
