package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.proto.ControlMessage;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.Join;
import io.ringtrain.proto.StepReport;
import io.ringtrain.proto.Stop;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoordinatorTest {
  static final String SECRET = "s3cret";

  static JobSpec spec(int workers) {
    return JobSpec.newBuilder().setCluster(ClusterSpec.newBuilder().setWorkers(workers).setHeartbeatMs(100)
        .setFailureTimeoutMs(800)).build();
  }

  static final class Recorder implements JobListener {
    final List<StepSummary> steps = new CopyOnWriteArrayList<>();
    final CompletableFuture<List<Assignment>> rendezvous = new CompletableFuture<>();

    @Override
    public void onRendezvous(List<Assignment> assignments) {
      rendezvous.complete(assignments);
    }

    @Override
    public void onStep(StepSummary s) {
      steps.add(s);
    }
  }

  static List<CoordinatorClient> joinAll(int n, int port, String secret) throws Exception {
    List<CompletableFuture<CoordinatorClient>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int ringPort = 9000 + i;
      futures.add(CompletableFuture.supplyAsync(() -> {
        try {
          return CoordinatorClient.join("127.0.0.1", port, "job", secret, "127.0.0.1", ringPort, 10_000);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }));
    }
    List<CoordinatorClient> clients = new ArrayList<>();
    for (var f : futures) clients.add(f.get(20, TimeUnit.SECONDS));
    return clients;
  }

  @Test
  void rendezvousAssignsRanksRingAndAggregatesSteps() throws Exception {
    Recorder rec = new Recorder();
    try (Coordinator c = new Coordinator(spec(3), "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      List<CoordinatorClient> clients = joinAll(3, c.port(), SECRET);
      List<Integer> ranks = clients.stream().map(x -> x.assignment().getRank()).sorted().toList();
      assertEquals(List.of(0, 1, 2), ranks);
      for (CoordinatorClient x : clients) {
        Assignment a = x.assignment();
        assertEquals(3, a.getWorldSize());
        assertEquals(3, a.getRingCount());
        assertEquals(a.getRank(), a.getRing(a.getRank()).getRank());
        assertEquals(3, a.getSpec().getCluster().getWorkers());
      }
      for (CoordinatorClient x : clients) {
        int r = x.assignment().getRank();
        x.report(StepReport.newBuilder().setRank(r).setStep(1).setLoss(r + 1.0).setTokens(100).setComputeMs(10 * r).build());
      }
      for (CoordinatorClient x : clients) x.finished();
      JobOutcome o = c.outcome().get(10, TimeUnit.SECONDS);
      assertTrue(o.ok(), o.reason());
      assertEquals(1, rec.steps.size());
      assertEquals(2.0, rec.steps.get(0).loss(), 1e-12);
      assertEquals(300, rec.steps.get(0).tokens());
      assertEquals(20.0, rec.steps.get(0).maxComputeMs());
      for (CoordinatorClient x : clients) x.close();
    }
  }

  @Test
  void assignmentCarriesTheSpecWithoutTheSecret() throws Exception {
    JobSpec withSecret = spec(1).toBuilder().setCluster(spec(1).getCluster().toBuilder().setSecret(SECRET)).build();
    Recorder rec = new Recorder();
    try (Coordinator c = new Coordinator(withSecret, "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      CoordinatorClient worker = joinAll(1, c.port(), SECRET).get(0);
      assertEquals("", worker.assignment().getSpec().getCluster().getSecret());
      assertEquals(1, worker.assignment().getSpec().getCluster().getWorkers());
      assertEquals("", rec.rendezvous.get(5, TimeUnit.SECONDS).get(0).getSpec().getCluster().getSecret());
      worker.close();
    }
  }

  @Test
  void wrongSecretIsRefused() throws Exception {
    try (Coordinator c = new Coordinator(spec(1), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      IOException e = assertThrows(IOException.class,
          () -> CoordinatorClient.join("127.0.0.1", c.port(), "job", "guess", "127.0.0.1", 1, 5_000));
      assertTrue(e.getMessage().contains("wrong job secret"), e.getMessage());
    }
  }

  @Test
  void killedWorkerStopsTheJobAndTheOthersAreToldWhy() throws Exception {
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      List<CoordinatorClient> clients = joinAll(2, c.port(), SECRET);
      clients.get(0).close(); // the connection drops as when a process dies
      JobOutcome o = c.outcome().get(5, TimeUnit.SECONDS);
      assertEquals(1, o.exitCode());
      assertTrue(o.reason().contains("disconnected"), o.reason());
      Stop stop = clients.get(1).stopped().get(5, TimeUnit.SECONDS);
      assertTrue(stop.getReason().contains("disconnected"), stop.getReason());
      clients.get(1).close();
    }
  }

  @Test
  void silentWorkerIsDeclaredDeadWithinTheTimeout() throws Exception {
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      CompletableFuture<List<CoordinatorClient>> live = CompletableFuture.supplyAsync(() -> {
        try {
          return joinAll(1, c.port(), SECRET);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      try (Socket stalled = new Socket("127.0.0.1", c.port())) {
        DataInputStream in = new DataInputStream(stalled.getInputStream());
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        byte[] nonce = ControlMessage.parseFrom(frame).getChallenge().getNonce().toByteArray();
        byte[] join = ControlMessage.newBuilder().setJoin(Join.newBuilder().setProtocolVersion(1).setJobId("job")
            .setHmac(ByteString.copyFrom(Hmac.sign(SECRET, nonce, "job".getBytes(StandardCharsets.UTF_8))))
            .setRingPort(1)).build().toByteArray();
        DataOutputStream out = new DataOutputStream(stalled.getOutputStream());
        out.writeInt(join.length);
        out.write(join);
        out.flush();
        List<CoordinatorClient> clients = live.get(10, TimeUnit.SECONDS);
        long start = System.nanoTime();
        JobOutcome o = c.outcome().get(10, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, o.exitCode());
        assertTrue(o.reason().contains("presumed dead"), o.reason());
        assertTrue(ms < 800 + 2000, "detected after " + ms + " ms");
        clients.get(0).close();
      }
    }
  }

  @Test
  void protocolMismatchAndPortInUseAreClearErrors() throws Exception {
    try (Coordinator c = new Coordinator(spec(1), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      BindException e = assertThrows(BindException.class,
          () -> new Coordinator(spec(1), "job", SECRET, "127.0.0.1", c.port(), 10_000, new Recorder()));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
      IOException wrongJob = assertThrows(IOException.class,
          () -> CoordinatorClient.join("127.0.0.1", c.port(), "other", SECRET, "127.0.0.1", 1, 5_000));
      assertTrue(wrongJob.getMessage().contains("job other"), wrongJob.getMessage());
    }
  }

  @Test
  void rendezvousTimesOutWhenWorkersAreMissing() throws Exception {
    try (Coordinator c = new Coordinator(spec(3), "job", SECRET, "127.0.0.1", 0, 500, new Recorder())) {
      JobOutcome o = c.outcome().get(5, TimeUnit.SECONDS);
      assertTrue(o.reason().contains("only 0 of 3 workers joined"), o.reason());
    }
  }
}
