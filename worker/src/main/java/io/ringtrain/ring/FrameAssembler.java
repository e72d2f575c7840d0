package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Cuts the byte stream into {@link Frame}s. A frame that lies whole in one read buffer is passed on
 * as a slice of it (no copy); otherwise, once its header is known, it is assembled in one buffer of
 * exactly its size, so each byte is copied at most once. (Netty's ByteToMessageDecoder re-copies its
 * growing cumulation as 128 KiB frames trickle in over 64 KiB reads.)
 */
final class FrameAssembler extends ChannelInboundHandlerAdapter {
  private final int maxFloats;
  private final String peer;
  private ByteBuf header;
  private ByteBuf frame;
  private boolean broken;

  FrameAssembler(int maxFloats, String peer) {
    this.maxFloats = maxFloats;
    this.peer = peer;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    header = ctx.alloc().heapBuffer(FrameCodec.HEADER_BYTES, FrameCodec.HEADER_BYTES);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      while (in.isReadable() && !broken) {
        if (frame == null) {
          if (!header.isReadable() && in.readableBytes() >= FrameCodec.HEADER_BYTES) {
            int bytes = FrameCodec.HEADER_BYTES + payloadBytes(in, in.readerIndex());
            if (in.readableBytes() >= bytes) {
              ctx.fireChannelRead(new Frame(in.readRetainedSlice(bytes)));
              continue;
            }
            frame = ctx.alloc().directBuffer(bytes, bytes);
          } else {
            in.readBytes(header, Math.min(in.readableBytes(), header.writableBytes()));
            if (header.isWritable()) {
              return;
            }
            int bytes = FrameCodec.HEADER_BYTES + payloadBytes(header, 0);
            frame = ctx.alloc().directBuffer(bytes, bytes).writeBytes(header);
            header.clear();
          }
        }
        in.readBytes(frame, Math.min(in.readableBytes(), frame.writableBytes()));
        if (!frame.isWritable()) {
          ByteBuf done = frame;
          frame = null;
          ctx.fireChannelRead(new Frame(done));
        }
      }
    } finally {
      in.release();
    }
  }

  private int payloadBytes(ByteBuf buf, int at) {
    try {
      return FrameCodec.payloadBytes(buf, at, maxFloats, peer);
    } catch (RingException e) {
      broken = true; // the stream has lost its framing: nothing after this can be trusted
      throw e;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    header.release();
    if (frame != null) {
      frame.release();
      frame = null;
    }
  }
}
