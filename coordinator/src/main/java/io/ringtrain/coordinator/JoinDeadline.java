package io.ringtrain.coordinator;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Closes a control connection that has not authenticated within a fixed time of connecting.
 * An absolute deadline, not an idle timeout (Netty's ReadTimeoutHandler): a peer that sends a
 * byte now and then must not stay unauthenticated for ever. {@link ControlPipeline#authenticated}
 * removes it.
 */
final class JoinDeadline extends ChannelInboundHandlerAdapter {
  /**
   * A worker JVM answers its first challenge while still loading classes (Netty, protobuf, the
   * JCE's HMAC); on a loaded two-core machine that took over 800 ms. No deadline is shorter.
   */
  static final long MIN_DEADLINE_MS = 5_000;
  private static final Logger LOG = Logger.getLogger(JoinDeadline.class.getName());

  private final long deadlineMs;
  private ScheduledFuture<?> timer;

  /** A peer silent for a worker's failure timeout counts as dead, joined or not; but see the minimum. */
  JoinDeadline(long workerFailureTimeoutMs) {
    this.deadlineMs = deadlineMs(workerFailureTimeoutMs);
  }

  static long deadlineMs(long workerFailureTimeoutMs) {
    return Math.max(MIN_DEADLINE_MS, workerFailureTimeoutMs);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timer = ctx.executor().schedule(() -> {
      LOG.warning("closed control connection " + ctx.channel().remoteAddress() + ": no authenticated join within "
          + deadlineMs + " ms");
      ctx.close();
    }, deadlineMs, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  /** Authenticated, or closed: Netty removes every handler of a closed channel. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timer != null) timer.cancel(false);
  }
}
