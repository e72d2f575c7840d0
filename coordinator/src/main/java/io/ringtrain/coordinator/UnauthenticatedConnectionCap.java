package io.ringtrain.coordinator;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Bounds how many control connections may be open without having authenticated: each may buffer
 * up to a pre-join frame, so the cap bounds the memory strangers can make the coordinator hold.
 * A connection over the cap is closed before it is even challenged.
 */
final class UnauthenticatedConnectionCap {
  /** Room for strays (port scanners, a worker of another job) beside the job's own workers. */
  static final int SPARE = 64;
  private static final Logger LOG = Logger.getLogger(UnauthenticatedConnectionCap.class.getName());

  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  UnauthenticatedConnectionCap(int max) {
    this.max = max;
  }

  /** Every worker of the job may be joining at once, plus {@link #SPARE}. */
  static UnauthenticatedConnectionCap forWorkers(int workers) {
    return new UnauthenticatedConnectionCap(workers + SPARE);
  }

  /** A new connection's place under the cap: one handler per channel, given back when it is removed. */
  ChannelHandler slot() {
    return new Slot();
  }

  private final class Slot extends ChannelInboundHandlerAdapter {
    private boolean held;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (open.incrementAndGet() > max) {
        open.decrementAndGet();
        LOG.warning("closed control connection " + ctx.channel().remoteAddress() + ": already " + max
            + " connections have not authenticated");
        ctx.close();
        return;
      }
      held = true;
      ctx.fireChannelActive();
    }

    /** Authenticated, or closed: Netty removes every handler of a closed channel. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (held) {
        held = false;
        open.decrementAndGet();
      }
    }
  }
}
