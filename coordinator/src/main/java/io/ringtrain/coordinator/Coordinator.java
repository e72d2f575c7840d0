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
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.Challenge;
import io.ringtrain.proto.ControlMessage;
import io.ringtrain.proto.Heartbeat;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.Join;
import io.ringtrain.proto.Peer;
import io.ringtrain.proto.Stop;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The control plane's server: rendezvous (authenticated joins, ranks, ring order, the job spec),
 * heartbeats both ways, failure detection and per-step aggregation of the workers' reports.
 *
 * <p>Everything runs on one event-loop thread — connections, messages and the heartbeat tick —
 * so the job's state needs no locks.
 */
public final class Coordinator implements AutoCloseable {
  public static final int PROTOCOL_VERSION = 1;
  private static final Logger LOG = Logger.getLogger(Coordinator.class.getName());

  private final JobSpec spec;
  private final String jobId;
  private final String secret;
  private final int world;
  private final long heartbeatMs;
  private final long failureTimeoutMs;
  private final long rendezvousTimeoutMs;
  private final JobListener listener;
  private final UnauthenticatedConnectionCap unauthenticated;
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel server;
  private final CompletableFuture<JobOutcome> outcome = new CompletableFuture<>();
  private final long startMs = System.currentTimeMillis();

  private final Map<Channel, Member> members = new HashMap<>();
  private final List<Member> joined = new ArrayList<>();
  private final Map<Long, StepTotals> steps = new HashMap<>();
  private boolean assigned;

  private static final class Member {
    final Channel channel;
    final byte[] nonce = Hmac.nonce();
    long lastSeenMs = System.currentTimeMillis();
    int rank = -1;
    long pid;
    String ringHost;
    int ringPort;
    boolean finished;

    Member(Channel channel) {
      this.channel = channel;
    }

    String describe() {
      return "worker rank " + rank + " (pid " + pid + ", " + channel.remoteAddress() + ")";
    }
  }

  private static final class StepTotals {
    io.ringtrain.proto.StepReport first;
    int ranks;
    double loss;
    long tokens;
    double maxComputeMs;
    double maxAllreduceMs;
  }

  /**
   * Starts listening on {@code host:port} (port 0 picks a free one) for {@code spec.cluster.workers}
   * workers of job {@code jobId}.
   */
  public Coordinator(JobSpec spec, String jobId, String secret, String host, int port, long rendezvousTimeoutMs,
      JobListener listener) throws BindException {
    this.spec = spec;
    this.jobId = jobId;
    this.secret = secret;
    this.world = spec.getCluster().getWorkers();
    this.heartbeatMs = spec.getCluster().getHeartbeatMs();
    this.failureTimeoutMs = spec.getCluster().getFailureTimeoutMs();
    this.rendezvousTimeoutMs = rendezvousTimeoutMs;
    this.listener = listener;
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
      switch (msg.getBodyCase()) {
        case JOIN -> join(m, msg.getJoin());
        case STEP_REPORT -> {
          if (m.rank >= 0) report(msg.getStepReport());
        }
        case FINISHED -> finished(m);
        case EVAL_REPORT -> listener.onEval(msg.getEvalReport());
        case CHECKPOINT_REPORT -> listener.onCheckpoint(msg.getCheckpointReport());
        case HEARTBEAT -> { }
        default -> refuse(m, "unexpected " + msg.getBodyCase() + " message");
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Member m = members.remove(ctx.channel());
      if (m != null && m.rank >= 0 && !m.finished) {
        end(1, m.describe() + " disconnected before finishing (process died or was killed?)");
      } else if (m != null && m.rank < 0) {
        joined.remove(m);
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
    } else if (assigned || joined.contains(m)) {
      refuse(m, "job " + jobId + " already has its " + world + " workers");
    } else {
      ControlPipeline.authenticated(m.channel);
      m.pid = j.getPid();
      m.ringHost = j.getRingHost().isEmpty()
          ? ((InetSocketAddress) m.channel.remoteAddress()).getAddress().getHostAddress() : j.getRingHost();
      m.ringPort = j.getRingPort();
      joined.add(m);
      if (joined.size() == world) assign();
    }
  }

  private void assign() {
    assigned = true;
    List<Peer> ring = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      Member m = joined.get(r);
      m.rank = r;
      ring.add(Peer.newBuilder().setRank(r).setHost(m.ringHost).setPort(m.ringPort).build());
    }
    // The spec travels in clear, and the workers have the secret already, from their environment.
    // (The trainer's JobSpecs.withoutSecret is out of this module's reach.)
    JobSpec sent = spec.toBuilder().setCluster(spec.getCluster().toBuilder().setSecret("")).build();
    List<Assignment> all = new ArrayList<>();
    for (Member m : joined) {
      Assignment a = Assignment.newBuilder().setRank(m.rank).setWorldSize(world).addAllRing(ring).setSpec(sent).build();
      all.add(a);
      m.channel.writeAndFlush(ControlMessage.newBuilder().setAssignment(a).build());
    }
    listener.onRendezvous(all);
  }

  private void report(io.ringtrain.proto.StepReport r) {
    StepTotals t = steps.computeIfAbsent(r.getStep(), s -> new StepTotals());
    if (t.first == null) t.first = r;
    if (r.getParamsDigest() != t.first.getParamsDigest()) {
      end(1, "ranks " + t.first.getRank() + " and " + r.getRank() + " hold different parameters after step " + r.getStep()
          + ": the all-reduce or the kernels are not deterministic");
      return;
    }
    t.ranks++;
    t.loss += r.getLoss();
    t.tokens += r.getTokens();
    t.maxComputeMs = Math.max(t.maxComputeMs, r.getComputeMs());
    t.maxAllreduceMs = Math.max(t.maxAllreduceMs, r.getAllreduceMs());
    if (t.ranks == world) {
      steps.remove(r.getStep());
      listener.onStep(new StepSummary(r.getStep(), t.first.getTotalSteps(), t.loss / world, t.first.getLr(),
          t.first.getGradNorm(), t.tokens, t.first.getTokensSeen(), t.maxComputeMs, t.maxAllreduceMs, world));
    }
  }

  private void finished(Member m) {
    m.finished = true;
    if (assigned && joined.stream().allMatch(x -> x.finished)) end(0, "all " + world + " workers finished");
  }

  private void refuse(Member m, String reason) {
    m.channel.writeAndFlush(ControlMessage.newBuilder()
        .setStop(Stop.newBuilder().setReason(reason).setExitCode(2)).build())
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void tick() {
    if (outcome.isDone()) return;
    long now = System.currentTimeMillis();
    if (!assigned && now - startMs > rendezvousTimeoutMs) {
      end(1, "only " + joined.size() + " of " + world + " workers joined within " + rendezvousTimeoutMs + " ms");
      return;
    }
    ControlMessage beat = ControlMessage.newBuilder()
        .setHeartbeat(Heartbeat.newBuilder().setRank(-1).setUnixMs(now)).build();
    for (Member m : joined) {
      if (m.rank < 0 || m.finished) continue;
      if (now - m.lastSeenMs > failureTimeoutMs) {
        end(1, m.describe() + " sent nothing for " + (now - m.lastSeenMs) + " ms (failure timeout "
            + failureTimeoutMs + " ms): presumed dead or stalled");
        return;
      }
      m.channel.writeAndFlush(beat);
    }
  }

  private void end(int exitCode, String reason) {
    if (outcome.isDone()) return;
    for (Member m : joined) {
      if (m.channel.isActive()) {
        m.channel.writeAndFlush(ControlMessage.newBuilder()
            .setStop(Stop.newBuilder().setReason(reason).setExitCode(exitCode)).build());
      }
    }
    JobOutcome o = new JobOutcome(exitCode, reason);
    listener.onEnd(o);
    outcome.complete(o);
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
