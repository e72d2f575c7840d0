package io.ringtrain.coordinator;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.ringtrain.auth.Hmac;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.ControlMessage;
import io.ringtrain.proto.Failed;
import io.ringtrain.proto.Finished;
import io.ringtrain.proto.Heartbeat;
import io.ringtrain.proto.Join;
import io.ringtrain.proto.StepReport;
import io.ringtrain.proto.Stop;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * A worker's side of the control plane: joins (answering the coordinator's challenge), receives
 * its assignment, reports steps, heartbeats, and learns when the job stops — including when the
 * coordinator itself goes silent.
 */
public final class CoordinatorClient implements AutoCloseable {
  private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final CompletableFuture<Assignment> assignment = new CompletableFuture<>();
  private final CompletableFuture<Stop> stopped = new CompletableFuture<>();
  private final String jobId;
  private final String secret;
  private final Join.Builder join;
  private volatile long lastHeardMs = System.currentTimeMillis();
  private volatile boolean finishing;
  private volatile LongConsumer checkpointOrders = step -> { };
  private Channel channel;

  private CoordinatorClient(String jobId, String secret, Join.Builder join) {
    this.jobId = jobId;
    this.secret = secret;
    this.join = join;
  }

  /** Joins with no rank of its own: the coordinator gives the first free one. */
  public static CoordinatorClient join(String host, int port, String jobId, String secret, String ringHost,
      int ringPort, long timeoutMs) throws IOException {
    return join(host, port, jobId, secret, Join.newBuilder().setRingHost(ringHost).setRingPort(ringPort), timeoutMs);
  }

  /**
   * Connects (retrying until {@code timeoutMs}: the coordinator may still be starting), joins as
   * {@code worker} says (its ring address, the rank it asks for, the state it holds) and waits for
   * the assignment.
   *
   * @throws JoinRefusedException when the coordinator stops this worker instead
   */
  public static CoordinatorClient join(String host, int port, String jobId, String secret, Join.Builder worker,
      long timeoutMs) throws IOException {
    Join.Builder j = worker.clone().setProtocolVersion(Coordinator.PROTOCOL_VERSION).setJobId(jobId)
        .setPid(ProcessHandle.current().pid());
    CoordinatorClient c = new CoordinatorClient(jobId, secret, j);
    try {
      c.connect(host, port, timeoutMs);
      Assignment a = c.awaitAssignment(timeoutMs);
      c.startHeartbeats(a.getSpec().getCluster().getHeartbeatMs(), a.getSpec().getCluster().getFailureTimeoutMs());
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The coordinator answered a join with a stop: why, and whether the job goes on without this worker. */
  public static final class JoinRefusedException extends IOException {
    private final transient Stop stop;

    JoinRefusedException(Stop stop) {
      super("the coordinator refused this worker: " + stop.getReason());
      this.stop = stop;
    }

    public Stop stop() {
      return stop;
    }
  }

  private void connect(String host, int port, long timeoutMs) throws IOException {
    Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ControlPipeline.install(ch.pipeline());
            ch.pipeline().addLast("client", new Handler());
          }
        });
    long deadline = System.currentTimeMillis() + timeoutMs;
    Throwable last = null;
    while (System.currentTimeMillis() < deadline) {
      var f = b.connect(host, port).awaitUninterruptibly();
      if (f.isSuccess()) {
        channel = f.channel();
        return;
      }
      last = f.cause();
      sleep(200);
    }
    throw new ConnectException("cannot reach the coordinator at " + host + ":" + port + " within " + timeoutMs
        + " ms: " + (last == null ? "timed out" : last.getMessage()));
  }

  private Assignment awaitAssignment(long timeoutMs) throws IOException {
    CompletableFuture<Object> either = CompletableFuture.anyOf(assignment, stopped);
    try {
      Object first = either.get(timeoutMs, TimeUnit.MILLISECONDS);
      if (first instanceof Stop s) throw new JoinRefusedException(s);
      return (Assignment) first;
    } catch (TimeoutException e) {
      throw new IOException("no assignment from the coordinator within " + timeoutMs + " ms (not all workers joined?)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the assignment");
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    }
  }

  private void startHeartbeats(long heartbeatMs, long failureTimeoutMs) {
    loop.scheduleAtFixedRate(() -> {
      long silent = System.currentTimeMillis() - lastHeardMs;
      if (silent > failureTimeoutMs) {
        stopped.complete(Stop.newBuilder().setExitCode(1).setReason("the coordinator sent nothing for " + silent
            + " ms (failure timeout " + failureTimeoutMs + " ms): presumed dead").build());
        channel.close();
        return;
      }
      channel.writeAndFlush(ControlMessage.newBuilder().setHeartbeat(
          Heartbeat.newBuilder().setRank(assignment().getRank()).setUnixMs(System.currentTimeMillis())).build());
    }, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
  }

  private final class Handler extends SimpleChannelInboundHandler<ControlMessage> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ControlMessage msg) {
      lastHeardMs = System.currentTimeMillis();
      switch (msg.getBodyCase()) {
        case CHALLENGE -> ctx.writeAndFlush(ControlMessage.newBuilder().setJoin(join.clone().setHmac(ByteString.copyFrom(
            Hmac.sign(secret, msg.getChallenge().getNonce().toByteArray(), jobId.getBytes(StandardCharsets.UTF_8)))))
            .build());
        case ASSIGNMENT -> assignment.complete(msg.getAssignment());
        case CHECKPOINT_AT -> checkpointOrders.accept(msg.getCheckpointAt().getStep());
        case STOP -> stopped.complete(msg.getStop());
        default -> { }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!finishing) {
        stopped.complete(Stop.newBuilder().setExitCode(1)
            .setReason("lost the connection to the coordinator").build());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  public Assignment assignment() {
    return assignment.getNow(null);
  }

  /** Completes when the job stops for this worker: told by the coordinator, or the coordinator lost. */
  public CompletableFuture<Stop> stopped() {
    return stopped;
  }

  public void report(StepReport report) {
    channel.writeAndFlush(ControlMessage.newBuilder().setStepReport(report).build());
  }

  public void report(io.ringtrain.proto.StepLoss loss) {
    channel.writeAndFlush(ControlMessage.newBuilder().setStepLoss(loss).build());
  }

  public void report(io.ringtrain.proto.EvalReport report) {
    channel.writeAndFlush(ControlMessage.newBuilder().setEvalReport(report).build());
  }

  public void report(io.ringtrain.proto.CheckpointReport report) {
    channel.writeAndFlush(ControlMessage.newBuilder().setCheckpointReport(report).build());
  }

  /** Where the coordinator's checkpoint orders go (a step to save at, or the first boundary after). */
  public void onCheckpointOrder(LongConsumer orders) {
    this.checkpointOrders = orders;
  }

  /**
   * Tells the coordinator why this worker gives up on the generation, and waits until it is sent,
   * so that the cause, not a bare disconnect, is what the coordinator records.
   */
  public void failed(String reason, boolean retryable) {
    finishing = true;
    channel.writeAndFlush(ControlMessage.newBuilder().setFailed(Failed.newBuilder().setReason(reason)
        .setRetryable(retryable)).build()).awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  /** Tells the coordinator this worker completed the job; waits until the message is sent. */
  public void finished() {
    finishing = true;
    channel.writeAndFlush(ControlMessage.newBuilder()
        .setFinished(Finished.newBuilder().setRank(assignment().getRank())).build()).syncUninterruptibly();
  }

  @Override
  public void close() {
    finishing = true;
    if (channel != null) channel.close().syncUninterruptibly();
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
