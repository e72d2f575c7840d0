package io.ringtrain.ring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One rank of the ring: a listening socket that accepts exactly one authenticated connection, from
 * rank-1, and one connection to rank+1; {@link #allReduce} sums float regions across all ranks.
 *
 * <p>Usage: {@link #listen} binds at once, before this worker knows its rank, so the port it
 * announces is already its own; {@link #connect} with the rank's {@link RingConfig} once the
 * assignment arrives, and {@code join()} it; then any number of concurrent {@code allReduce}
 * calls on distinct buckets; {@code close()} at the end. A peer that connects before
 * {@code connect} is called waits in the handshake until this rank knows whom to accept.
 *
 * <p>Two event loops, created once: one reads from rank-1 and runs the all-reduce state machine
 * (summing), the other writes to rank+1, so summing and socket copies run on both cores. NIO, not
 * epoll: some classpaths here (Hadoop's minicluster jar) carry a clashing epoll native library.
 *
 * <p>Futures complete on the ring's event loop: don't block or call {@code close()} in callbacks.
 */
public final class RingPeer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RingPeer.class.getName());
  private static final long RETRY_MS = 100;

  private final EventLoopGroup group;
  private final EventLoop ringLoop;
  private final EventLoop sendLoop;
  private final Channel server;
  private final int port;
  /** Completed by {@link #connect}: the handshakes of connections that came early wait for it. */
  private final CompletableFuture<RingConfig> assignment = new CompletableFuture<>();
  private final CompletableFuture<Channel> inbound = new CompletableFuture<>();
  private final CompletableFuture<Channel> outbound = new CompletableFuture<>();
  private final AtomicBoolean connecting = new AtomicBoolean();
  private volatile RingConfig config;
  private volatile RingAllReduce ring;
  private volatile boolean closed;

  private RingPeer(String bindHost, int requestedPort, long handshakeTimeoutMs) {
    this.group = new MultiThreadIoEventLoopGroup(
        2, new DefaultThreadFactory("ring", true), NioIoHandler.newFactory());
    this.ringLoop = group.next();
    this.sendLoop = group.next();
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(ringLoop, ringLoop)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        // Reads of up to 1 MiB: fewer syscalls, and most 128 KiB frames then arrive whole in one
        // read buffer and are passed on as slices of it, uncopied (see FrameAssembler).
        .childOption(ChannelOption.RCVBUF_ALLOCATOR,
            new AdaptiveRecvByteBufAllocator(4096, 256 * 1024, 1024 * 1024))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("handshake", new HmacHandshake.Acceptor(
                assignment, handshakeTimeoutMs, RingPeer.this::acceptedPrev,
                why -> inbound.completeExceptionally(new RingException("ring peer rank "
                    + config.prev() + " (previous, " + ch.remoteAddress() + "): " + why))));
          }
        });
    ChannelFuture bound = bootstrap.bind(bindHost, requestedPort).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      Throwable cause = bound.cause();
      String where = bindHost + ":" + requestedPort;
      throw new RingException(cause instanceof BindException
          ? "ring port " + requestedPort + " is already in use (" + where + "): " + cause.getMessage()
          : "cannot listen for the ring on " + where + ": " + cause, cause);
    }
    server = bound.channel();
    port = ((InetSocketAddress) server.localAddress()).getPort();
  }

  /**
   * Starts listening on {@code bindHost:port} (0 picks a free port) before the rank is known.
   *
   * @param handshakeTimeoutMs how long a connection may take to authenticate, counted from its
   *     accept (so including any wait for {@link #connect}); then it is closed
   * @throws RingException naming the port when it is in use
   */
  public static RingPeer listen(String bindHost, int port, long handshakeTimeoutMs) {
    return new RingPeer(bindHost, port, handshakeTimeoutMs);
  }

  /** The port this peer listens on: the one to announce. */
  public int port() {
    return port;
  }

  public int rank() {
    return assigned().rank();
  }

  public int worldSize() {
    return assigned().worldSize();
  }

  private RingConfig assigned() {
    RingConfig c = config;
    if (c == null) {
      throw new IllegalStateException("this ring peer has no rank yet: call connect() first");
    }
    return c;
  }

  /**
   * Takes this rank's place in the ring: accepts rank-1 (also one that connected before this call)
   * and connects to rank+1 at {@code nextAddress}, retrying until the connect timeout while it
   * starts up; completes once both links are authenticated. With one rank there is nothing to
   * connect and the listening socket is closed.
   */
  public CompletableFuture<Void> connect(RingConfig ringConfig, InetSocketAddress nextAddress) {
    Objects.requireNonNull(ringConfig, "ringConfig");
    if (connecting.getAndSet(true)) {
      throw new IllegalStateException("connect() was already called on ring rank " + rank());
    }
    config = ringConfig;
    if (ringConfig.worldSize() == 1) {
      server.close();
      assignment.complete(ringConfig);
      return CompletableFuture.completedFuture(null);
    }
    ring = new RingAllReduce(ringConfig, ringLoop,
        "ring peer rank " + ringConfig.prev() + " (previous)");
    assignment.complete(ringConfig);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ringConfig.connectTimeoutMs());
    ringLoop.schedule(() -> inbound.completeExceptionally(new RingException(
            "no ring peer (rank " + ringConfig.prev() + ") connected to port " + port + " within "
                + ringConfig.connectTimeoutMs() + " ms")),
        ringConfig.connectTimeoutMs(), TimeUnit.MILLISECONDS);
    dial(nextAddress, deadline);
    CompletableFuture<Void> ready = new CompletableFuture<>();
    inbound.exceptionally(e -> failReady(ready, e));
    outbound.exceptionally(e -> failReady(ready, e));
    inbound.thenAcceptBoth(outbound, (in, out) -> ringLoop.execute(() -> {
      try {
        ring.attach();
        ready.complete(null);
      } catch (RingException e) {
        ready.completeExceptionally(e);
      }
    }));
    return ready;
  }

  private static Channel failReady(CompletableFuture<Void> ready, Throwable e) {
    ready.completeExceptionally(e instanceof CompletionException && e.getCause() != null
        ? e.getCause() : e);
    return null;
  }

  /**
   * Sums {@code data[offset, offset+length)} element-wise over all ranks, in place, in the ring's
   * wire dtype ({@link RingConfig#wireDtype}); every rank gets bit-identical results. Buckets may
   * run concurrently and start in any order across ranks, but a bucket runs one all-reduce at a
   * time and all ranks must use the same length and dtype for it. Don't touch the region until the
   * future completes; it fails with a {@link RingException} when the ring does.
   */
  public CompletableFuture<Void> allReduce(
      long step, int bucket, float[] data, int offset, int length) {
    return allReduce(step, bucket, data, offset, length, assigned().wireDtype());
  }

  /**
   * As {@link #allReduce(long, int, float[], int, int)} in {@code dtype}: the ring's wire dtype, or
   * fp32 for values that must stay exact whatever the ring's setting (a loss that is reported).
   */
  public CompletableFuture<Void> allReduce(
      long step, int bucket, float[] data, int offset, int length, WireDtype dtype) {
    Objects.checkFromIndexSize(offset, length, data.length);
    Objects.requireNonNull(dtype, "dtype");
    if (assigned().worldSize() == 1) {
      return CompletableFuture.completedFuture(null);
    }
    return ring.allReduce(step, bucket, data, offset, length, dtype);
  }

  /**
   * The connected ring without {@link #allReduce}'s argument checks: the seam through which a test
   * puts a fault inside this rank's event loop.
   */
  RingAllReduce uncheckedRing() {
    return ring;
  }

  /**
   * Leaves the ring: with nothing pending the neighbours are told goodbye and carry on with what
   * they still have in flight; with operations pending it is a failure, reported around the ring.
   * Then closes the links and the event loops.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RingConfig c = config;
    RingException gone = new RingException(
        c == null ? "ring peer closed before it had a rank" : "ring peer rank " + c.rank() + " closed");
    assignment.completeExceptionally(gone); // early connections are not checked any more
    RingAllReduce r = ring;
    if (r != null) {
      ringLoop.submit(() -> r.leave(gone)).awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
    inbound.completeExceptionally(gone);
    outbound.completeExceptionally(gone);
    for (CompletableFuture<Channel> link : List.of(inbound, outbound)) {
      if (!link.isCompletedExceptionally()) {
        // The goodbye (or abort) frame closes the link once queued frames are flushed: wait a bit.
        Channel ch = link.join();
        ch.closeFuture().awaitUninterruptibly(1, TimeUnit.SECONDS);
        ch.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
      }
    }
    server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private void dial(InetSocketAddress address, long deadline) {
    String name = "ring peer rank " + config.next() + " (next, " + address + ")";
    long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    Bootstrap bootstrap = new Bootstrap()
        .group(sendLoop)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 2 << 20))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(leftMs, 5_000))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("handshake", new HmacHandshake.Connector(config,
                accepted -> acceptedNext(accepted, name),
                why -> outbound.completeExceptionally(
                    new RingException(name + ": " + why))));
          }
        });
    bootstrap.connect(address).addListener((ChannelFuture attempt) -> {
      if (attempt.isSuccess() || closed) {
        return;
      }
      if (System.nanoTime() < deadline) {
        sendLoop.schedule(() -> dial(address, deadline), RETRY_MS, TimeUnit.MILLISECONDS);
      } else {
        outbound.completeExceptionally(new RingException("could not connect to " + name
            + " within " + config.connectTimeoutMs() + " ms: " + attempt.cause().getMessage(),
            attempt.cause()));
      }
    });
  }

  /** On the ring loop: rank-1 passed the handshake. The only connection this rank accepts. */
  private void acceptedPrev(Channel ch) {
    if (inbound.isDone() || config.worldSize() == 1) {
      LOG.log(System.Logger.Level.WARNING,
          "refused ring peer from {0}: this rank already has its previous rank", ch.remoteAddress());
      ch.close();
      return;
    }
    String name = "ring peer rank " + config.prev() + " (previous, " + ch.remoteAddress() + ")";
    ch.pipeline().replace("handshake", "frames",
        new FrameAssembler(config.subChunkFloats(), name));
    ch.pipeline().addLast("ring", new RingLinkHandler(ring, name, true));
    ring.linked(ch, true);
    server.close(); // exactly one peer: stop listening
    inbound.complete(ch);
  }

  /** On the send loop: rank+1 accepted us. Only abort frames ever come back on this link. */
  private void acceptedNext(Channel ch, String name) {
    ch.pipeline().replace("handshake", "frames", new FrameAssembler(0, name));
    ch.pipeline().addLast("ring", new RingLinkHandler(ring, name, false));
    ring.linked(ch, false);
    if (!outbound.complete(ch)) {
      ch.close(); // closed meanwhile
    }
  }
}
