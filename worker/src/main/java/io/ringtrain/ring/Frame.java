package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** One decoded frame: header fields parsed, payload left in the received buffer (see FrameCodec). */
final class Frame {
  final ByteBuf raw;
  final long step;
  final int bucket;
  final int phase;
  /** The payload's dtype; null for abort and bye frames, whose dtype field is unused. */
  final WireDtype dtype;
  final int chunk;
  final int part;
  final int count;

  Frame(ByteBuf raw) {
    this.raw = raw;
    int at = raw.readerIndex();
    step = raw.getLongLE(at + 4);
    bucket = raw.getIntLE(at + 12);
    phase = raw.getUnsignedShortLE(at + 16);
    dtype = phase == FrameCodec.REDUCE_SCATTER || phase == FrameCodec.ALL_GATHER
        ? WireDtype.ofCode(raw.getUnsignedShortLE(at + 18)) : null;
    chunk = raw.getIntLE(at + 20);
    part = raw.getIntLE(at + 24);
    count = raw.getIntLE(at + 28);
  }

  /** The payload as little-endian bytes, read in place: no copy, no float[] per frame. */
  ByteBuffer payload() {
    return raw.nioBuffer(raw.readerIndex() + FrameCodec.HEADER_BYTES, count * dtype.bytes())
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  String abortReason() {
    return raw.toString(raw.readerIndex() + FrameCodec.HEADER_BYTES, count, StandardCharsets.UTF_8);
  }

  void release() {
    raw.release();
  }
}
