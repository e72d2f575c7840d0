package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ring's wire format: a fixed 32-byte little-endian header, then the payload.
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x474E4952 ("RING" in byte order)
 *  4     8    step
 * 12     4    bucket
 * 16     4    phase: 0 reduce-scatter, 1 all-gather, 2 abort, 3 bye (leaving, nothing pending)
 * 20     4    chunk (abort: the rank that first failed)
 * 24     4    part, the sub-chunk index inside the chunk
 * 28     4    count: floats in the payload (abort: bytes of the UTF-8 reason)
 * 32     ..   payload: count little-endian floats
 * </pre>
 *
 * <p>A fixed-size header, not protobuf: the decoder learns the frame's length from two plain reads at known
 * offsets, validates it before buffering a byte of payload, and allocates no message per frame
 * (thousands of frames a second). A fixed header also lets an all-gather frame be forwarded as the
 * very bytes received.
 */
final class FrameCodec {
  static final int MAGIC = 0x474E4952;
  static final int HEADER_BYTES = 32;
  static final int REDUCE_SCATTER = 0;
  static final int ALL_GATHER = 1;
  static final int ABORT = 2;
  static final int BYE = 3;
  /** Absolute cap on a frame (16 MiB of floats); the configured sub-chunk size is the real limit. */
  static final int MAX_FRAME_FLOATS = 4 * 1024 * 1024;
  static final int MAX_ABORT_BYTES = 16 * 1024;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private FrameCodec() {}

  /** Header plus {@code count} floats of {@code src}: the one copy of the payload on send. */
  static ByteBuf floats(
      ByteBufAllocator alloc, long step, int bucket, int phase, int chunk, int part,
      float[] src, int from, int count) {
    int bytes = HEADER_BYTES + count * Float.BYTES;
    ByteBuf buf = alloc.directBuffer(bytes, bytes);
    header(buf, step, bucket, phase, chunk, part, count);
    // A little-endian float view makes this one bulk memory copy, not a loop of writeFloatLE.
    buf.nioBuffer(HEADER_BYTES, count * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .put(src, from, count);
    buf.writerIndex(bytes);
    return buf;
  }

  /**
   * A reduce-scatter hop in one pass: data[from, from+count) += the received payload, and the sums
   * go straight into the frame for the next rank (header fields as {@link #floats}). Replaces a copy
   * of the payload out of the received buffer, an add loop and a copy into the outgoing buffer:
   * about twice as fast (Vector API loads and stores on the direct buffers). Each element is the
   * one float addition data + payload, so the bits are those of the plain loop.
   */
  static ByteBuf addAndForward(
      ByteBufAllocator alloc, long step, int bucket, int phase, int chunk, int part,
      float[] data, int from, int count, ByteBuffer payload) {
    int bytes = HEADER_BYTES + count * Float.BYTES;
    ByteBuf buf = alloc.directBuffer(bytes, bytes);
    header(buf, step, bucket, phase, chunk, part, count);
    ByteBuffer out = buf.nioBuffer(HEADER_BYTES, count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    for (int bound = F.loopBound(count); i < bound; i += F.length()) {
      FloatVector sum = FloatVector.fromArray(F, data, from + i)
          .add(FloatVector.fromByteBuffer(F, payload, i * Float.BYTES, ByteOrder.LITTLE_ENDIAN));
      sum.intoArray(data, from + i);
      sum.intoByteBuffer(out, i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
    }
    for (; i < count; i++) {
      float sum = data[from + i] + payload.getFloat(i * Float.BYTES);
      data[from + i] = sum;
      out.putFloat(i * Float.BYTES, sum);
    }
    buf.writerIndex(bytes);
    return buf;
  }

  static ByteBuf bye(ByteBufAllocator alloc, int rank) {
    ByteBuf buf = alloc.buffer(HEADER_BYTES);
    header(buf, 0, 0, BYE, rank, 0, 0);
    return buf;
  }

  static ByteBuf abort(ByteBufAllocator alloc, int originRank, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(text.length, MAX_ABORT_BYTES);
    ByteBuf buf = alloc.buffer(HEADER_BYTES + length);
    header(buf, 0, 0, ABORT, originRank, 0, length);
    buf.writeBytes(text, 0, length);
    return buf;
  }

  private static void header(
      ByteBuf buf, long step, int bucket, int phase, int chunk, int part, int count) {
    buf.writeIntLE(MAGIC)
        .writeLongLE(step)
        .writeIntLE(bucket)
        .writeIntLE(phase)
        .writeIntLE(chunk)
        .writeIntLE(part)
        .writeIntLE(count);
  }

  /**
   * Validates the header at {@code at} and returns its payload size in bytes.
   *
   * @throws RingException for a garbled or oversized header, before any payload is buffered
   */
  static int payloadBytes(ByteBuf in, int at, int maxFloats, String peer) {
    int magic = in.getIntLE(at);
    if (magic != MAGIC) {
      throw new RingException(String.format("garbled frame from %s: bad magic 0x%08x", peer, magic));
    }
    int phase = in.getIntLE(at + 16);
    int count = in.getIntLE(at + 28);
    if (phase == REDUCE_SCATTER || phase == ALL_GATHER) {
      if (count < 0 || count > maxFloats) {
        throw new RingException(String.format(
            "frame from %s carries %d floats, limit is %d", peer, count, maxFloats));
      }
      return count * Float.BYTES;
    }
    if (phase == ABORT || phase == BYE) {
      if (count < 0 || count > MAX_ABORT_BYTES) {
        throw new RingException("abort frame from " + peer + " has bad length " + count);
      }
      return count;
    }
    throw new RingException("garbled frame from " + peer + ": unknown phase " + phase);
  }
}
