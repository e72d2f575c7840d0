package io.ringtrain.coordinator;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.ringtrain.auth.Hmac;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.Challenge;
import io.ringtrain.proto.CheckpointAt;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.ControlMessage;
import io.ringtrain.proto.Heartbeat;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.Join;
import io.ringtrain.proto.Peer;
import io.ringtrain.proto.RestorePoint;
import io.ringtrain.proto.Stop;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The control plane's server: authenticated rendezvous (ranks, ring order, the job spec and the
 * restore point), heartbeats both ways, failure detection, per-step aggregation of the workers'
 * reports, checkpoint orders, and restarts.
 *
 * <p>A job lives through generations. Each one is a full set of {@code world} workers that join,
 * asking for their stable rank, restore the same state and train. When a worker of the current
 * generation dies, stalls or gives up, the generation ends: every survivor is told to leave its
 * step at once, up to {@code cluster.max_restarts} times with a doubling back-off. Survivors that
 * rejoin come back holding the state of the last step they completed; the launcher is asked only
 * for the ranks that did not come back. The next generation restores the most advanced state a
 * survivor holds (peer recovery: the others receive it from that survivor), or, when no survivor
 * holds one the coordinator can account for, the newest intact checkpoint.
 *
 * <p>Everything runs on one event-loop thread (connections, messages and the heartbeat tick), so
 * the job's state needs no locks; the listener and the restore-point choice, which may block on a
 * filesystem, run on threads of their own.
 */
public final class Coordinator implements AutoCloseable {
  public static final int PROTOCOL_VERSION = 3;
  private static final Logger LOG = Logger.getLogger(Coordinator.class.getName());

  /** The exit code of a worker whose generation ended without it, the job going on (EX_TEMPFAIL). */
  public static final int GENERATION_ENDED = 75;

  private enum Phase { RENDEZVOUS, RESTORING, RUNNING, ENDED }

  private final JobSpec spec;
  private final String jobId;
  private final String secret;
  private final int world;
  private final long heartbeatMs;
  private final long failureTimeoutMs;
  private final long rendezvousTimeoutMs;
  private final int maxRestarts;
  private final RestorePoints restorePoints;
  private final JobListener listener;
  private final UnauthenticatedConnectionCap unauthenticated;
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final ExecutorService listenerThread = Executors.newSingleThreadExecutor(daemon("coordinator-listener"));
  private final ExecutorService blockingThread = Executors.newSingleThreadExecutor(daemon("coordinator-restore"));
  private final Channel server;
  private final CompletableFuture<JobOutcome> outcome = new CompletableFuture<>();
  private final Map<Channel, Member> members = new HashMap<>();
  private final List<String> causes = new ArrayList<>();

  private Phase phase = Phase.RENDEZVOUS;
  private int generation;
  private Member[] slots;
  private StepAggregator steps;
  private StepAggregator failedSteps; // the last failed generation's, for what its survivors sent late
  private long generationStartMs = System.currentTimeMillis();
  private long lastCompletedStep;
  private long restoredStep;
  private long lastTickMs = System.currentTimeMillis();
  private String pausedNote = "";
  private long pausedAtMs = Long.MIN_VALUE / 2;
  private Recovery pendingRecovery;
  private final SafetyCheckpoints safety;
  // After a failure: the survivors expected back on their own (rank to pid), the back-off's end,
  // how long they are waited for, and the ranks the launcher was asked to start.
  private final Map<Integer, Long> rejoining = new HashMap<>();
  private long replacementsDueMs;
  private long rejoinDeadlineMs;
  private final java.util.Set<Integer> replaced = new java.util.HashSet<>();

  private static final class Member {
    final Channel channel;
    final byte[] nonce = Hmac.nonce();
    long lastSeenMs = System.currentTimeMillis();
    int generation = -1;
    int rank = -1;
    long pid;
    String ringHost;
    int ringPort;
    boolean finished;
    boolean rejoins;
    int statePort;
    long heldStep = -1;
    long heldDigest;
    // The last step this rank reported, for RankHealth.
    long lastStep;
    double computeMs;
    double allreduceMs;

    Member(Channel channel) {
      this.channel = channel;
    }

    boolean joined() {
      return rank >= 0;
    }

    String describe() {
      return "worker rank " + rank + " (pid " + pid + ", " + channel.remoteAddress() + ")";
    }
  }

  /** A coordinator whose every generation starts fresh (nothing to restore). */
  public Coordinator(JobSpec spec, String jobId, String secret, String host, int port, long rendezvousTimeoutMs,
      JobListener listener) throws BindException {
    this(spec, jobId, secret, host, port, rendezvousTimeoutMs, RestorePoints.NONE, listener);
  }

  /**
   * Starts listening on {@code host:port} (port 0 picks a free one) for {@code spec.cluster.workers}
   * workers of job {@code jobId}; each generation restores what {@code restorePoints} chooses.
   */
  public Coordinator(JobSpec spec, String jobId, String secret, String host, int port, long rendezvousTimeoutMs,
      RestorePoints restorePoints, JobListener listener) throws BindException {
    this.spec = spec;
    this.jobId = jobId;
    this.secret = secret;
    this.world = spec.getCluster().getWorkers();
    this.heartbeatMs = spec.getCluster().getHeartbeatMs();
    this.failureTimeoutMs = spec.getCluster().getFailureTimeoutMs();
    this.rendezvousTimeoutMs = rendezvousTimeoutMs;
    this.maxRestarts = spec.getCluster().getMaxRestarts();
    this.restorePoints = restorePoints;
    this.listener = listener;
    this.slots = new Member[world];
    this.steps = new StepAggregator(world);
    this.safety = new SafetyCheckpoints(spec.getCheckpoint());
    this.unauthenticated = UnauthenticatedConnectionCap.forWorkers(world);
    ServerBootstrap b = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ControlPipeline.installUnauthenticated(ch.pipeline(), unauthenticated, failureTimeoutMs);
            ch.pipeline().addLast("coordinator", new Handler());
          }
        });
    try {
      server = b.bind(host, port).syncUninterruptibly().channel();
    } catch (Exception e) {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      listenerThread.shutdown();
      blockingThread.shutdown();
      BindException be = new BindException("coordinator cannot listen on " + host + ":" + port + ": " + e.getMessage()
          + (port != 0 ? " (is the port in use? pick another or 0 for a free one)" : ""));
      be.initCause(e);
      throw be;
    }
    loop.scheduleAtFixedRate(this::tick, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Completes when every worker has finished, or with the failure that ended the job. */
  public CompletableFuture<JobOutcome> outcome() {
    return outcome;
  }

  /** Stops the job from outside (Ctrl-C, a launcher's failure): workers are told why. */
  public void stop(int exitCode, String reason) {
    loop.execute(() -> end(exitCode, reason));
  }

  /**
   * The launcher saw the workers it started for {@code generation} end (a Spark stage): they are
   * lost if that generation is current. {@code badInput}: they said their arguments or the job were
   * wrong, which another attempt would only repeat.
   */
  public void workerExited(int generation, String description, boolean badInput) {
    workerExited(generation, -1, -1, description, badInput);
  }

  /**
   * The launcher saw worker process {@code pid}, started for {@code rank} of {@code generation},
   * end. It is lost if it is the current generation's worker of that rank, or a survivor on its way
   * back, or a worker started for the current generation that never joined it; a process of an
   * older generation that was already replaced is not.
   */
  public void workerExited(int generation, long pid, int rank, String description, boolean badInput) {
    loop.execute(() -> {
      if (phase == Phase.ENDED) return;
      boolean current = rank >= 0 && slots[rank] != null && slots[rank].pid == pid;
      if (!current && rank >= 0 && rejoining.remove(rank, pid)) {
        askForReplacements(); // it will not come back: the launcher need not wait for it
        return;
      }
      boolean neverJoined = generation == this.generation && (rank < 0 || slots[rank] == null);
      if (!current && !neverJoined) return;
      if (badInput) {
        end(2, description);
      } else {
        failGeneration(description, rank);
      }
    });
  }

  private final class Handler extends SimpleChannelInboundHandler<ControlMessage> {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Member m = new Member(ctx.channel());
      members.put(ctx.channel(), m);
      ctx.writeAndFlush(ControlMessage.newBuilder()
          .setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(m.nonce))).build());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ControlMessage msg) {
      Member m = members.get(ctx.channel());
      if (m == null) return;
      m.lastSeenMs = System.currentTimeMillis();
      if (!m.joined()) {
        // Before authentication only the join itself is heard.
        if (msg.getBodyCase() == ControlMessage.BodyCase.JOIN) {
          join(m, msg.getJoin());
        } else {
          refuse(m, "a " + msg.getBodyCase() + " message before joining: refused");
        }
        return;
      }
      if (m.generation != generation || phase == Phase.ENDED) {
        // Until the next generation's restore point is set, what they still send may count.
        if (m.generation == generation - 1 && (phase == Phase.RENDEZVOUS || phase == Phase.RESTORING)) late(m, msg);
        return;
      }
      switch (msg.getBodyCase()) {
        case STEP_REPORT -> report(m, msg.getStepReport());
        case STEP_LOSS -> {
          if (phase == Phase.RUNNING) steps.lossKnown(m.rank, msg.getStepLoss().getStep(), msg.getStepLoss().getLoss());
        }
        case FINISHED -> finished(m);
        case EVAL_REPORT -> {
          if (m.rank == 0) notifyListener(() -> listener.onEval(msg.getEvalReport()));
        }
        case CHECKPOINT_REPORT -> checkpointReport(m, msg.getCheckpointReport());
        case FAILED -> {
          String why = m.describe() + ": " + msg.getFailed().getReason();
          if (msg.getFailed().getRetryable()) {
            failGeneration(why, -1); // it says why, so it is alive, and comes back if it rejoins
          } else {
            end(1, why);
          }
        }
        case HEARTBEAT -> { }
        default -> refuse(m, "unexpected " + msg.getBodyCase() + " message");
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Member m = members.remove(ctx.channel());
      if (m == null || !m.joined() || m.generation != generation || m.finished) return;
      if (phase == Phase.RUNNING) {
        failGeneration(m.describe() + " disconnected before finishing (process died or was killed?)", m.rank);
      } else if (phase == Phase.RENDEZVOUS) {
        slots[m.rank] = null; // it may join again
      } else if (phase == Phase.RESTORING) {
        failGeneration(m.describe() + " disconnected during the rendezvous", m.rank);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset connection is a dead worker, reported by channelInactive; anything else is worth a line.
      if (!(cause instanceof java.io.IOException)) {
        LOG.warning("control connection " + ctx.channel().remoteAddress() + ": " + cause);
      }
      ctx.close();
    }
  }

  private void join(Member m, Join j) {
    if (j.getProtocolVersion() != PROTOCOL_VERSION) {
      refuse(m, "worker speaks control protocol " + j.getProtocolVersion() + ", this coordinator speaks "
          + PROTOCOL_VERSION + ": run the same ringtrain version everywhere");
    } else if (!j.getJobId().equals(jobId)) {
      refuse(m, "worker asked for job " + j.getJobId() + " but this coordinator runs job " + jobId);
    } else if (!Hmac.verify(secret, j.getHmac().toByteArray(), m.nonce, jobId.getBytes(StandardCharsets.UTF_8))) {
      LOG.warning("refused worker from " + m.channel.remoteAddress() + ": bad HMAC (wrong job secret)");
      refuse(m, "authentication failed: wrong job secret");
    } else if (phase != Phase.RENDEZVOUS) {
      refuse(m, "job " + jobId + " already has its " + world + " workers (generation " + generation + " is "
          + phase.name().toLowerCase(java.util.Locale.ROOT) + ")");
    } else if (j.hasRequestedRank() && (j.getRequestedRank() < 0 || j.getRequestedRank() >= world)) {
      refuse(m, "worker asked for rank " + j.getRequestedRank() + " but the job has ranks 0.." + (world - 1));
    } else if (j.hasRequestedRank() && slots[j.getRequestedRank()] != null) {
      refuse(m, "rank " + j.getRequestedRank() + " of generation " + generation + " is already taken by "
          + slots[j.getRequestedRank()].describe());
    } else if (j.hasHeld() && j.hasRequestedRank() && replaced.contains(j.getRequestedRank())) {
      // Too late: the launcher is starting a replacement for this rank. Not bad input: the job goes on.
      m.channel.writeAndFlush(ControlMessage.newBuilder().setStop(Stop.newBuilder().setExitCode(GENERATION_ENDED)
          .setReason("came back after rank " + j.getRequestedRank() + " of generation " + generation
              + " was given to a replacement")).build()).addListener(ChannelFutureListener.CLOSE);
    } else {
      ControlPipeline.authenticated(m.channel);
      int rank = j.hasRequestedRank() ? j.getRequestedRank() : firstFreeSlot();
      m.rank = rank;
      m.generation = generation;
      m.pid = j.getPid();
      m.ringHost = j.getRingHost().isEmpty()
          ? ((InetSocketAddress) m.channel.remoteAddress()).getAddress().getHostAddress() : j.getRingHost();
      m.ringPort = j.getRingPort();
      m.rejoins = j.getRejoins();
      m.statePort = j.getStatePort();
      if (j.hasHeld()) {
        m.heldStep = j.getHeld().getStep();
        m.heldDigest = j.getHeld().getParamsDigest();
      }
      slots[rank] = m;
      if (Arrays.stream(slots).allMatch(s -> s != null)) {
        restoreThenAssign();
      } else {
        askForReplacements();
      }
    }
  }

  private int firstFreeSlot() {
    for (int r = 0; r < world; r++) {
      if (slots[r] == null) return r;
    }
    throw new IllegalStateException("no free rank");
  }

  /**
   * A survivor's state when one is there to take, else the checkpoint the launcher chooses off the
   * loop (it reads checkpoints); then every rank is told.
   */
  private void restoreThenAssign() {
    phase = Phase.RESTORING;
    int g = generation;
    // A survivor a step ahead completed the step in flight: the lost ranks' losses for it came before
    // their gradients, so it can be recorded whole and nobody goes back.
    long ahead = Arrays.stream(slots).filter(m -> m.statePort != 0).mapToLong(m -> m.heldStep).max().orElse(-1);
    if (ahead == lastCompletedStep + 1 && failedSteps != null) {
      failedSteps.completedWithoutTheLost(ahead).ifPresent(c -> record(c.summary()));
    }
    long recorded = lastCompletedStep;
    Optional<RestorePoint> fromPeer = heldByASurvivor(recorded);
    if (fromPeer.isPresent()) {
      assign(fromPeer);
      return;
    }
    CompletableFuture.supplyAsync(() -> {
      try {
        return restorePoints.choose(g, recorded);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }, blockingThread).whenCompleteAsync((restore, failure) -> {
      if (g != generation || phase != Phase.RESTORING) return;
      if (failure != null) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        end(1, "cannot choose the checkpoint to restore: " + cause.getMessage());
      } else {
        assign(restore);
      }
    }, loop);
  }

  /**
   * The most advanced state a survivor holds, served by the lowest such rank. A survivor applied a
   * step only once that step's all-reduce was complete on it, so its state is exactly the
   * uninterrupted run's. Only steps this coordinator recorded count (a step some rank completed but
   * the lost one never reported has no metrics to keep), and survivors at the same step must agree
   * on their parameters. Any such state is at least as new as the newest checkpoint: checkpoints are
   * written of the writing rank's own state, and every rank is within a step of every other.
   */
  private Optional<RestorePoint> heldByASurvivor(long recorded) {
    Member donor = null;
    for (Member m : slots) {
      if (m.heldStep <= 0 || m.statePort == 0 || m.heldStep > recorded) continue;
      if (donor == null || m.heldStep > donor.heldStep) donor = m;
    }
    if (donor == null) return Optional.empty();
    for (Member m : slots) {
      if (m.heldStep == donor.heldStep && m.heldDigest != donor.heldDigest) {
        LOG.warning(m.describe() + " and " + donor.describe() + " hold different parameters at step "
            + donor.heldStep + ": restoring a checkpoint instead");
        return Optional.empty();
      }
    }
    return Optional.of(RestorePoint.newBuilder().setStep(donor.heldStep).setDonor(Peer.newBuilder()
        .setRank(donor.rank).setHost(donor.ringHost).setPort(donor.statePort)).build());
  }

  private void assign(Optional<RestorePoint> restore) {
    phase = Phase.RUNNING;
    restoredStep = restore.map(RestorePoint::getStep).orElse(0L);
    lastCompletedStep = restoredStep;
    List<Peer> ring = new ArrayList<>();
    for (Member m : slots) ring.add(Peer.newBuilder().setRank(m.rank).setHost(m.ringHost).setPort(m.ringPort).build());
    // The spec travels in clear, and the workers have the secret already, from their environment.
    // (The trainer's JobSpecs.withoutSecret is out of this module's reach.)
    JobSpec sent = spec.toBuilder().setCluster(spec.getCluster().toBuilder().setSecret("")).build();
    List<Assignment> all = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (Member m : slots) {
      Assignment.Builder a = Assignment.newBuilder().setRank(m.rank).setWorldSize(world).addAllRing(ring).setSpec(sent)
          .setGeneration(generation);
      restore.ifPresent(a::setRestore);
      all.add(a.build());
      m.lastSeenMs = now; // heartbeats start with the assignment
      m.channel.writeAndFlush(ControlMessage.newBuilder().setAssignment(a).build());
    }
    if (pendingRecovery != null) {
      Recovery r = pendingRecovery;
      pendingRecovery = new Recovery(r.generation(), r.cause(), r.failedAtStep(), restoredStep,
          restore.map(Coordinator::source).orElse("scratch"), r.detectedUnixMs(), now - r.detectedUnixMs(), 0, 0);
    }
    int g = generation;
    long from = restoredStep;
    notifyListener(() -> {
      listener.onGenerationStart(g, from);
      listener.onRendezvous(all);
    });
  }

  /**
   * What a worker of the failed generation still sent after it ended: the steps and losses its
   * survivors completed may let the next generation start from the step in flight.
   */
  private void late(Member m, ControlMessage msg) {
    if (msg.getBodyCase() == ControlMessage.BodyCase.STEP_REPORT) {
      if (failedSteps.add(m.rank, msg.getStepReport()) instanceof StepAggregator.Complete c) record(c.summary());
    } else if (msg.getBodyCase() == ControlMessage.BodyCase.STEP_LOSS) {
      failedSteps.lossKnown(m.rank, msg.getStepLoss().getStep(), msg.getStepLoss().getLoss());
    }
  }

  private void record(StepSummary s) {
    lastCompletedStep = Math.max(lastCompletedStep, s.step());
    notifyListener(() -> listener.onStep(s));
  }

  private void report(Member m, io.ringtrain.proto.StepReport r) {
    if (phase != Phase.RUNNING) return;
    m.lastStep = r.getStep();
    m.computeMs = r.getComputeMs();
    m.allreduceMs = r.getAllreduceMs();
    StepAggregator.Outcome o = steps.add(m.rank, r);
    if (o instanceof StepAggregator.Diverged d) {
      end(1, d.reason());
    } else if (o instanceof StepAggregator.Complete c) {
      completed(c);
    }
  }

  private void completed(StepAggregator.Complete c) {
    record(c.summary());
    if (pendingRecovery != null) {
      Recovery p = pendingRecovery;
      Recovery done = new Recovery(p.generation(), p.cause(), p.failedAtStep(), p.restoredStep(), p.source(),
          p.detectedUnixMs(), p.relaunchMs(), c.maxRestoreMs(), System.currentTimeMillis() - p.detectedUnixMs());
      pendingRecovery = null;
      notifyListener(() -> listener.onRecovered(done));
    }
    safety.due(c.summary().step(), System.currentTimeMillis()).ifPresent(at -> slots[0].channel.writeAndFlush(
        ControlMessage.newBuilder().setCheckpointAt(CheckpointAt.newBuilder().setStep(at)).build()));
  }

  private void checkpointReport(Member m, CheckpointReport r) {
    // Only the writing rank reports, and only its own run's directories (never an arbitrary path).
    if (m.rank != 0 || !r.getPath().endsWith("checkpoints/" + r.getStep())) {
      refuse(m, "a checkpoint report from rank " + m.rank + " for " + r.getPath() + ": refused");
      return;
    }
    if (r.getError().isEmpty()) safety.committed(r);
    notifyListener(() -> listener.onCheckpoint(r));
  }

  private void finished(Member m) {
    m.finished = true;
    if (phase == Phase.RUNNING && Arrays.stream(slots).allMatch(x -> x.finished)) {
      end(0, "all " + world + " workers finished");
    }
  }

  private static String source(RestorePoint p) {
    return p.hasDonor() ? "peer rank " + p.getDonor().getRank() : p.getPath();
  }

  /**
   * Ends the current generation: every survivor leaves its step at once, and the next generation
   * gathers (survivors that rejoin, replacements for the rest), or the job fails when its restarts
   * are spent. Only the first cause per generation counts; what follows from it (survivors losing
   * their ring) is consequence. {@code blamedRank} (-1: none) is the worker that died or stalled.
   */
  private void failGeneration(String failure, int blamedRank) {
    if (phase == Phase.ENDED) return;
    String cause = failure + pauseNote(System.currentTimeMillis());
    causes.add("generation " + generation + ": " + cause);
    int restarts = generation;
    if (restarts >= maxRestarts) {
      end(1, maxRestarts == 0 ? cause + " (cluster.max_restarts is 0)"
          : "gave up after " + maxRestarts + " restarts; every cause: " + String.join("; ", causes));
      return;
    }
    long now = System.currentTimeMillis();
    pendingRecovery = new Recovery(generation + 1, cause, lastCompletedStep, 0, "", now, 0, 0, 0);
    // Who comes back by itself: every other worker that said it rejoins, still connected and heard
    // from lately (a stalled one would not be).
    rejoining.clear();
    for (Member m : slots) {
      if (m != null && m.rejoins && m.rank != blamedRank && m.channel.isActive()
          && now - m.lastSeenMs < failureTimeoutMs / 2) {
        rejoining.put(m.rank, m.pid);
      }
    }
    Stop stop = Stop.newBuilder().setReason("generation " + generation + " ended: " + cause).setExitCode(1)
        .setRestart(true).build();
    for (Member m : slots) {
      if (m != null && m.channel.isActive()) m.channel.writeAndFlush(ControlMessage.newBuilder().setStop(stop).build());
    }
    long backoff = (long) spec.getCluster().getRestartBackoffMs() << Math.min(restarts, 20);
    int failed = generation;
    generation++;
    slots = new Member[world];
    failedSteps = steps;
    steps = new StepAggregator(world);
    phase = Phase.RENDEZVOUS;
    generationStartMs = now + backoff;
    replaced.clear();
    replacementsDueMs = now + backoff;
    // A survivor leaves within a step; one that takes longer than the failure timeout is stalled.
    rejoinDeadlineMs = now + Math.max(backoff, failureTimeoutMs);
    notifyListener(() -> listener.onGenerationFailed(failed, cause, backoff));
    loop.schedule(this::askForReplacements, backoff, TimeUnit.MILLISECONDS);
    loop.schedule(this::askForReplacements, rejoinDeadlineMs - now, TimeUnit.MILLISECONDS);
  }

  /**
   * Once the back-off is over, asks the launcher for the ranks that are missing and not expected
   * back, and, once the wait for the expected survivors is over too, for those still missing.
   */
  private void askForReplacements() {
    if (phase != Phase.RENDEZVOUS || generation == 0) return;
    long now = System.currentTimeMillis();
    if (now < replacementsDueMs) return;
    boolean waitedEnough = now >= rejoinDeadlineMs;
    List<Integer> missing = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      if (slots[r] == null && !replaced.contains(r) && (waitedEnough || !rejoining.containsKey(r))) missing.add(r);
    }
    if (missing.isEmpty()) return;
    replaced.addAll(missing);
    generationStartMs = now; // the rendezvous timeout counts the replacements' start from here
    int g = generation;
    notifyListener(() -> listener.onWorkersWanted(g, List.copyOf(missing)));
  }

  /**
   * Why the workers may have given up on this coordinator: its own heartbeat tick ran late by more
   * than half the failure timeout (it was paused), now or within the last failure timeout.
   */
  private String pauseNote(long now) {
    if (now - lastTickMs > failureTimeoutMs / 2) {
      pausedNote = "; this coordinator itself was paused for " + (now - lastTickMs) + " ms, longer than the workers"
          + " wait (cluster.failure_timeout_ms " + failureTimeoutMs + "), so they presumed it dead";
      pausedAtMs = now;
    }
    return now - pausedAtMs < 2 * failureTimeoutMs ? pausedNote : "";
  }

  private void refuse(Member m, String reason) {
    m.channel.writeAndFlush(ControlMessage.newBuilder()
        .setStop(Stop.newBuilder().setReason(reason).setExitCode(2)).build())
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void tick() {
    if (phase == Phase.ENDED) return;
    long now = System.currentTimeMillis();
    if (now - lastTickMs > failureTimeoutMs / 2) {
      // This process itself was stopped (SIGSTOP, a swapped-out machine): the workers' silence is
      // ours, not theirs.
      pauseNote(now);
      for (Member m : members.values()) m.lastSeenMs = now;
    }
    lastTickMs = now;
    publishRanks();
    if (phase == Phase.RENDEZVOUS && now - generationStartMs > rendezvousTimeoutMs) {
      long joined = Arrays.stream(slots).filter(s -> s != null).count();
      String why = "only " + joined + " of " + world + " workers joined generation " + generation + " within "
          + rendezvousTimeoutMs + " ms";
      if (generation == 0) {
        end(1, why);
      } else {
        phase = Phase.RUNNING; // let failGeneration count it as this generation's failure
        failGeneration(why, -1);
      }
      return;
    }
    if (phase != Phase.RUNNING) return;
    ControlMessage beat = ControlMessage.newBuilder()
        .setHeartbeat(Heartbeat.newBuilder().setRank(-1).setUnixMs(now)).build();
    for (Member m : slots) {
      if (m.finished) continue;
      if (now - m.lastSeenMs > failureTimeoutMs) {
        failGeneration(m.describe() + " sent nothing for " + (now - m.lastSeenMs) + " ms (failure timeout "
            + failureTimeoutMs + " ms): presumed dead or stalled", m.rank);
        return;
      }
      m.channel.writeAndFlush(beat);
    }
  }

  /** The current generation's ranks, copied on the loop and handed to the listener's thread. */
  private void publishRanks() {
    List<RankHealth> ranks = new ArrayList<>(world);
    for (int r = 0; r < world; r++) {
      Member m = slots[r];
      ranks.add(m == null ? new RankHealth(r, false, false, 0, "", 0, 0, 0, 0)
          : new RankHealth(r, true, m.channel.isActive(), m.pid, m.ringHost, m.lastSeenMs, m.lastStep, m.computeMs,
              m.allreduceMs));
    }
    List<RankHealth> all = List.copyOf(ranks);
    notifyListener(() -> listener.onRanks(all));
  }

  private void end(int exitCode, String reason) {
    if (phase == Phase.ENDED) return;
    phase = Phase.ENDED;
    for (Member m : members.values()) {
      if (m.joined() && m.channel.isActive()) {
        m.channel.writeAndFlush(ControlMessage.newBuilder()
            .setStop(Stop.newBuilder().setReason(reason).setExitCode(exitCode)).build());
      }
    }
    JobOutcome o = new JobOutcome(exitCode, reason);
    // The outcome completes after every earlier listener call has run.
    notifyListener(() -> {
      listener.onEnd(o);
      outcome.complete(o);
    });
  }

  private void notifyListener(Runnable call) {
    listenerThread.execute(() -> {
      try {
        call.run();
      } catch (RuntimeException e) {
        LOG.warning("job listener failed: " + e);
      }
    });
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    listenerThread.shutdown();
    blockingThread.shutdown();
  }
}
