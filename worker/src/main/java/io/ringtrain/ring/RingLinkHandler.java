package io.ringtrain.ring;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Last handler on both ring links: hands frames, disconnects and errors to the all-reduce. */
final class RingLinkHandler extends ChannelInboundHandlerAdapter {
  private final RingAllReduce ring;
  private final String peer;
  private final boolean fromPrev;

  /**
   * @param peer how errors name the other end, e.g. "ring peer rank 2 (previous, /127.0.0.1:4000)"
   * @param fromPrev whether this is the link from the previous rank (else to the next)
   */
  RingLinkHandler(RingAllReduce ring, String peer, boolean fromPrev) {
    this.ring = ring;
    this.peer = peer;
    this.fromPrev = fromPrev;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Frame frame = (Frame) msg;
    if (frame.phase == FrameCodec.BYE) {
      frame.release();
      ring.onLeft(fromPrev, peer);
    } else if (!fromPrev && frame.phase != FrameCodec.ABORT) {
      frame.release(); // data flows one way: the next rank only ever sends abort or goodbye
      ring.fail(new RingException(peer + " sent a data frame against the ring's direction"));
    } else {
      ring.onFrame(frame);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (fromPrev) {
      ring.onReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      ring.onWritable();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ring.onDisconnected(fromPrev, peer);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ring.fail(new RingException(peer + ": " + cause.getMessage(), cause)); // closes the links
  }
}
