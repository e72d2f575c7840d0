package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ringtrain.auth.Hmac;
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

  static class Recorder implements JobListener {
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
        byte[] join = ControlMessage.newBuilder().setJoin(Join.newBuilder().setProtocolVersion(Coordinator.PROTOCOL_VERSION).setJobId("job")
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
  void portInUseAndWrongJobAreClearErrors() throws Exception {
    try (Coordinator c = new Coordinator(spec(1), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      BindException e = assertThrows(BindException.class,
          () -> new Coordinator(spec(1), "job", SECRET, "127.0.0.1", c.port(), 10_000, new Recorder()));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
      IOException wrongJob = assertThrows(IOException.class,
          () -> CoordinatorClient.join("127.0.0.1", c.port(), "other", SECRET, "127.0.0.1", 1, 5_000));
      assertTrue(wrongJob.getMessage().contains("job other"), wrongJob.getMessage());
    }
  }

  /** A correctly signed join from another ringtrain version is refused, naming both versions. */
  @Test
  void anotherControlProtocolVersionIsRefusedByName() throws Exception {
    try (Coordinator c = new Coordinator(spec(1), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder());
         RawClient older = new RawClient(c.port())) {
      int theirs = Coordinator.PROTOCOL_VERSION - 1;
      older.send(ControlMessage.newBuilder().setJoin(Join.newBuilder().setProtocolVersion(theirs).setJobId("job")
          .setHmac(ByteString.copyFrom(Hmac.sign(SECRET, older.nonce, "job".getBytes(StandardCharsets.UTF_8))))
          .setRingPort(1)).build());
      Stop refused = older.read().getStop();
      assertTrue(refused.getReason().contains("worker speaks control protocol " + theirs
          + ", this coordinator speaks " + Coordinator.PROTOCOL_VERSION), refused.getReason());
      assertTrue(!c.outcome().isDone(), "a refused join does not end the job");
    }
  }

  /** The cluster tests rely on this: ranks whose parameters differ after a step end the job. */
  @Test
  void ranksReportingDifferentParameterDigestsEndTheJob() throws Exception {
    Recorder rec = new Recorder();
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      List<CoordinatorClient> clients = joinAll(2, c.port(), SECRET);
      for (CoordinatorClient x : clients) {
        x.report(StepReport.newBuilder().setStep(1).setLoss(1).setParamsDigest(42).build());
      }
      await(() -> rec.steps.size() == 1); // equal digests: the step completes
      clients.get(0).report(StepReport.newBuilder().setStep(2).setLoss(1).setParamsDigest(42).build());
      clients.get(1).report(StepReport.newBuilder().setStep(2).setLoss(1).setParamsDigest(43).build());
      JobOutcome o = c.outcome().get(5, TimeUnit.SECONDS);
      assertEquals(1, o.exitCode());
      assertTrue(o.reason().contains("hold different parameters after step 2"), o.reason());
      assertEquals(1, rec.steps.size(), "the diverged step is not reported as a step");
      for (CoordinatorClient x : clients) x.close();
    }
  }

  @Test
  void rendezvousTimesOutWhenWorkersAreMissing() throws Exception {
    try (Coordinator c = new Coordinator(spec(3), "job", SECRET, "127.0.0.1", 0, 500, new Recorder())) {
      JobOutcome o = c.outcome().get(5, TimeUnit.SECONDS);
      assertTrue(o.reason().contains("only 0 of 3 workers joined"), o.reason());
    }
  }

  /** A raw connection that reads the challenge and can then send anything, authenticated or not. */
  static final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final byte[] nonce;

    RawClient(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(5_000);
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
      nonce = read().getChallenge().getNonce().toByteArray();
    }

    ControlMessage read() throws IOException {
      byte[] frame = new byte[in.readInt()];
      in.readFully(frame);
      return ControlMessage.parseFrom(frame);
    }

    void send(ControlMessage m) throws IOException {
      byte[] b = m.toByteArray();
      out.writeInt(b.length);
      out.write(b);
      out.flush();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Listener calls come on a thread of their own: wait for what the test expects to see. */
  static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not seen within 5 s");
      Thread.sleep(20);
    }
  }

  static final class Events extends Recorder {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onEval(io.ringtrain.proto.EvalReport r) {
      seen.add("eval " + r.getStep());
    }

    @Override
    public void onCheckpoint(io.ringtrain.proto.CheckpointReport r) {
      seen.add("checkpoint " + r.getPath());
    }

    @Override
    public void onGenerationFailed(int generation, String cause, long backoffMs) {
      seen.add("failed " + generation + ": " + cause);
    }

    @Override
    public void onGenerationStart(int generation, long restoredStep) {
      seen.add("start " + generation + " at " + restoredStep);
    }
  }

  @Test
  void beforeTheJoinOnlyTheJoinIsHeard() throws Exception {
    Events rec = new Events();
    try (Coordinator c = new Coordinator(spec(1), "job", SECRET, "127.0.0.1", 0, 10_000, rec);
         RawClient intruder = new RawClient(c.port())) {
      intruder.send(ControlMessage.newBuilder().setEvalReport(io.ringtrain.proto.EvalReport.newBuilder()
          .setStep(424242).setValLoss(1e-4)).build());
      Stop refused = intruder.read().getStop();
      assertTrue(refused.getReason().contains("before joining"), refused.getReason());
      try (RawClient second = new RawClient(c.port())) {
        second.send(ControlMessage.newBuilder().setCheckpointReport(io.ringtrain.proto.CheckpointReport.newBuilder()
            .setStep(1).setPath("/etc/passwd")).build());
        assertTrue(second.read().hasStop());
      }
      Thread.sleep(200);
      assertEquals(List.of(), rec.seen, "nothing reached the listener");
    }
  }

  @Test
  void ranksComeFromTheConnectionAndEachCountsOncePerStep() throws Exception {
    Recorder rec = new Recorder();
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      List<CoordinatorClient> clients = joinAll(2, c.port(), SECRET);
      CoordinatorClient one = clients.get(0);
      // One worker reports step 1 twice, the second time claiming to be the other rank.
      one.report(StepReport.newBuilder().setRank(0).setStep(1).setLoss(1).setTokens(10).build());
      one.report(StepReport.newBuilder().setRank(1).setStep(1).setLoss(1).setTokens(10).build());
      Thread.sleep(300);
      assertEquals(List.of(), rec.steps, "one rank's reports do not complete a step of two");
      clients.get(1).report(StepReport.newBuilder().setStep(1).setLoss(3).setTokens(10).build());
      await(() -> !rec.steps.isEmpty());
      assertEquals(1, rec.steps.size());
      assertEquals(2.0, rec.steps.get(0).loss(), 1e-12);
      for (CoordinatorClient x : clients) x.close();
    }
  }

  @Test
  void onlyTheWritingRankReportsCheckpointsOfItsOwnRun() throws Exception {
    Events rec = new Events();
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      List<CoordinatorClient> clients = joinAll(2, c.port(), SECRET);
      CoordinatorClient rank0 = clients.stream().filter(x -> x.assignment().getRank() == 0).findFirst().orElseThrow();
      rank0.report(io.ringtrain.proto.CheckpointReport.newBuilder().setStep(5).setPath("runs/a/checkpoints/5").build());
      await(() -> rec.seen.size() >= 2);
      assertEquals(List.of("start 0 at 0", "checkpoint runs/a/checkpoints/5"), rec.seen);
      rank0.report(io.ringtrain.proto.CheckpointReport.newBuilder().setStep(6).setPath("/etc/passwd").build());
      Stop s = rank0.stopped().get(5, TimeUnit.SECONDS);
      assertTrue(s.getReason().contains("/etc/passwd"), s.getReason());
      for (CoordinatorClient x : clients) x.close();
    }
  }

  static JobSpec restartable(int workers, int maxRestarts) {
    return spec(workers).toBuilder().setCluster(spec(workers).getCluster().toBuilder().setMaxRestarts(maxRestarts)
        .setRestartBackoffMs(50)).build();
  }

  static List<CoordinatorClient> joinAsRanks(int n, int port) throws Exception {
    List<CompletableFuture<CoordinatorClient>> futures = new ArrayList<>();
    for (int i = n - 1; i >= 0; i--) { // in reverse: ranks come from the request, not the order
      int rank = i;
      futures.add(CompletableFuture.supplyAsync(() -> {
        try {
          return CoordinatorClient.join("127.0.0.1", port, "job", SECRET, Join.newBuilder().setRingHost("127.0.0.1")
              .setRingPort(9000 + rank).setRequestedRank(rank), 10_000);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }));
    }
    List<CoordinatorClient> clients = new ArrayList<>();
    for (var f : futures) clients.add(f.get(20, TimeUnit.SECONDS));
    clients.sort(java.util.Comparator.comparingInt(x -> x.assignment().getRank()));
    return clients;
  }

  @Test
  void aLostWorkerEndsTheGenerationAndTheNextOneRestoresWithTheSameRanks() throws Exception {
    Events rec = new Events();
    RestorePoints restore = (g, recorded) -> g == 0 ? java.util.Optional.empty()
        : java.util.Optional.of(io.ringtrain.proto.RestorePoint.newBuilder().setStep(10).setPath("ck/10").build());
    try (Coordinator c = new Coordinator(restartable(2, 1), "job", SECRET, "127.0.0.1", 0, 10_000, restore, rec)) {
      List<CoordinatorClient> first = joinAsRanks(2, c.port());
      assertEquals(9000, first.get(0).assignment().getRing(0).getPort(), "rank 0 is the worker that asked for it");
      first.get(1).close(); // dies
      Stop toSurvivor = first.get(0).stopped().get(5, TimeUnit.SECONDS);
      assertTrue(toSurvivor.getRestart(), toSurvivor.toString());
      assertTrue(toSurvivor.getReason().contains("worker rank 1") && toSurvivor.getReason().contains("disconnected"),
          toSurvivor.getReason());
      // A late worker of the old generation cannot come back into the ended one.
      first.get(0).report(StepReport.newBuilder().setStep(11).build());
      first.get(0).close();
      List<CoordinatorClient> second = joinAsRanks(2, c.port());
      for (CoordinatorClient x : second) {
        assertEquals(1, x.assignment().getGeneration());
        assertEquals(10, x.assignment().getRestore().getStep());
      }
      await(() -> rec.seen.contains("start 1 at 10"));
      second.get(0).close(); // and again: the one restart is spent
      JobOutcome o = c.outcome().get(5, TimeUnit.SECONDS);
      assertEquals(1, o.exitCode());
      assertTrue(o.reason().contains("gave up after 1 restarts") && o.reason().contains("generation 0: worker rank 1")
          && o.reason().contains("generation 1: worker rank 0"), o.reason());
      second.get(1).close();
    }
  }

  @Test
  void aRankAlreadyTakenInTheGenerationIsRefused() throws Exception {
    try (Coordinator c = new Coordinator(spec(2), "job", SECRET, "127.0.0.1", 0, 10_000, new Recorder())) {
      CompletableFuture<CoordinatorClient> a = CompletableFuture.supplyAsync(() -> {
        try {
          return CoordinatorClient.join("127.0.0.1", c.port(), "job", SECRET, Join.newBuilder().setRingHost("127.0.0.1")
              .setRingPort(1).setRequestedRank(0), 10_000);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Thread.sleep(300);
      IOException e = assertThrows(IOException.class,
          () -> CoordinatorClient.join("127.0.0.1", c.port(), "job", SECRET, Join.newBuilder().setRingHost("127.0.0.1")
              .setRingPort(2).setRequestedRank(0), 5_000));
      assertTrue(e.getMessage().contains("rank 0 of generation 0 is already taken"), e.getMessage());
      c.stop(1, "test over");
      assertThrows(Exception.class, () -> a.get(5, TimeUnit.SECONDS));
    }
  }
  private static CompletableFuture<CoordinatorClient> joinLater(int port, Join.Builder worker) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return CoordinatorClient.join("127.0.0.1", port, "job", SECRET, worker, 10_000);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
  }

  private static Join.Builder survivor(int rank, Long heldStep, long digest) {
    Join.Builder j = Join.newBuilder().setRingHost("127.0.0.1").setRingPort(9000 + rank).setRequestedRank(rank)
        .setRejoins(true).setStatePort(7000 + rank);
    if (heldStep != null) j.setHeld(io.ringtrain.proto.HeldState.newBuilder().setStep(heldStep).setParamsDigest(digest));
    return j;
  }

  /** Three workers that rejoin, ranks 0..2 (in rank order), each having reported steps 1 to 5, rank r with loss 0.1 (r + 1). */
  private static List<CoordinatorClient> threeWorkersThroughStep5(Coordinator c) throws Exception {
    List<CompletableFuture<CoordinatorClient>> joining = new ArrayList<>();
    for (int r = 0; r < 3; r++) joining.add(joinLater(c.port(), survivor(r, null, 0)));
    List<CoordinatorClient> g0 = new ArrayList<>();
    for (var f : joining) g0.add(f.get(20, TimeUnit.SECONDS));
    g0.sort(java.util.Comparator.comparingInt(x -> x.assignment().getRank()));
    for (long s = 1; s <= 5; s++) {
      for (int r = 0; r < 3; r++) g0.get(r).report(step(s, 0.1 * (r + 1), s));
    }
    return g0;
  }

  private static StepReport step(long step, double loss, long digest) {
    return StepReport.newBuilder().setStep(step).setLoss(loss).setTokens(8).setParamsDigest(digest).build();
  }

  @Test
  void survivorsComeBackWithTheirStateOnlyTheLostRankIsWantedAndTheStepInFlightIsKept() throws Exception {
    List<String> wanted = new CopyOnWriteArrayList<>();
    Recorder rec = new Recorder() {
      @Override
      public void onWorkersWanted(int generation, List<Integer> ranks) {
        wanted.add(generation + " " + ranks);
      }
    };
    try (Coordinator c = new Coordinator(restartable(3, 1), "job", SECRET, "127.0.0.1", 0, 10_000, rec)) {
      List<CoordinatorClient> g0 = threeWorkersThroughStep5(c);
      await(() -> rec.steps.size() == 5);
      // Step 6: rank 2 computed its loss, sent its gradients and died; rank 0 completed the step,
      // rank 1 had not yet. What 0 and 1 send after the generation ended still counts.
      g0.get(2).report(io.ringtrain.proto.StepLoss.newBuilder().setStep(6).setLoss(0.3).build());
      g0.get(2).close();
      assertTrue(g0.get(0).stopped().get(5, TimeUnit.SECONDS).getRestart());
      g0.get(0).report(step(6, 0.1, 6));
      g0.get(1).report(io.ringtrain.proto.StepLoss.newBuilder().setStep(6).setLoss(0.2).build());
      Thread.sleep(200);
      CompletableFuture<CoordinatorClient> back0 = joinLater(c.port(), survivor(0, 6L, 6));
      CompletableFuture<CoordinatorClient> back1 = joinLater(c.port(), survivor(1, 5L, 5));
      await(() -> wanted.equals(List.of("1 [2]")));
      CoordinatorClient fresh = joinLater(c.port(), survivor(2, null, 0)).get(10, TimeUnit.SECONDS);
      for (CoordinatorClient x : List.of(back0.get(10, TimeUnit.SECONDS), back1.get(10, TimeUnit.SECONDS), fresh)) {
        io.ringtrain.proto.RestorePoint p = x.assignment().getRestore();
        assertEquals(6, p.getStep(), p.toString());
        assertEquals(0, p.getDonor().getRank(), p.toString());
        assertEquals(7000, p.getDonor().getPort(), "the donor's state port");
      }
      await(() -> rec.steps.size() == 6);
      assertEquals(6, rec.steps.get(5).step());
      assertEquals((0.1 + 0.2 + 0.3) / 3, rec.steps.get(5).loss(), 1e-15);
      c.stop(1, "test over");
      g0.get(0).close();
      g0.get(1).close(); // rank 2's died above
      fresh.close();
    }
  }

  @Test
  void survivorsThatDisagreeOnTheirParametersFallBackToTheCheckpoint() throws Exception {
    RestorePoints restore = (g, recorded) -> g == 0 ? java.util.Optional.empty()
        : java.util.Optional.of(io.ringtrain.proto.RestorePoint.newBuilder().setStep(3).setPath("ck/3").build());
    try (Coordinator c = new Coordinator(restartable(3, 1), "job", SECRET, "127.0.0.1", 0, 10_000, restore,
        new Recorder())) {
      List<CoordinatorClient> g0 = threeWorkersThroughStep5(c);
      g0.get(2).close();
      assertTrue(g0.get(0).stopped().get(5, TimeUnit.SECONDS).getRestart());
      CompletableFuture<CoordinatorClient> back0 = joinLater(c.port(), survivor(0, 5L, 5));
      CompletableFuture<CoordinatorClient> back1 = joinLater(c.port(), survivor(1, 5L, 99));
      CoordinatorClient fresh = joinLater(c.port(), survivor(2, null, 0)).get(10, TimeUnit.SECONDS);
      for (CoordinatorClient x : List.of(back0.get(10, TimeUnit.SECONDS), back1.get(10, TimeUnit.SECONDS), fresh)) {
        assertEquals("ck/3", x.assignment().getRestore().getPath());
        assertTrue(!x.assignment().getRestore().hasDonor());
      }
      c.stop(1, "test over");
      g0.get(0).close();
      g0.get(1).close(); // rank 2's died above
      fresh.close();
    }
  }
}
