package io.ringtrain.ring;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Last handler on both ring links: hands frames, disconnects and errors to the all-reduce. */
final class RingLinkHandler extends ChannelInboundHandlerAdapter {
  private final RingAllReduce ring;
  private final String peer;

  /** @param peer how errors name the other end, e.g. "ring peer rank 2 (previous, /127.0.0.1:4000)" */
  RingLinkHandler(RingAllReduce ring, String peer) {
    this.ring = ring;
    this.peer = peer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ring.onFrame((Frame) msg);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      ring.onWritable();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ring.fail(new RingException(peer + " disconnected"));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ring.fail(new RingException(peer + ": " + cause.getMessage(), cause)); // closes the links
  }
}
