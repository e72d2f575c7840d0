package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ring's wire format: a fixed 32-byte little-endian header, then the payload.
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x474E4952 ("RING" in byte order)
 *  4     8    step
 * 12     4    bucket
 * 16     2    phase: 0 reduce-scatter, 1 all-gather, 2 abort, 3 bye (leaving, nothing pending)
 * 18     2    dtype of the payload: 0 fp32, 1 bf16 ({@link WireDtype}); 0 for abort and bye
 * 20     4    chunk (abort: the rank that first failed)
 * 24     4    part, the sub-chunk index inside the chunk
 * 28     4    count: elements in the payload (abort: bytes of the UTF-8 reason)
 * 32     ..   payload: count little-endian fp32 or bf16 values
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
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  /** As many shorts as F has floats: bf16 lanes line up one to one with fp32 lanes. */
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

  private FrameCodec() {}

  /**
   * Header plus {@code count} values of {@code src} in {@code dtype}: the one copy (and, for bf16,
   * rounding) of the payload on send. {@code src} is left as it is.
   */
  static ByteBuf encode(
      ByteBufAllocator alloc, long step, int bucket, int phase, WireDtype dtype, int chunk, int part,
      float[] src, int from, int count) {
    int bytes = HEADER_BYTES + count * dtype.bytes();
    ByteBuf buf = alloc.directBuffer(bytes, bytes);
    header(buf, step, bucket, phase, dtype.code(), chunk, part, count);
    ByteBuffer out = buf.nioBuffer(HEADER_BYTES, count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == WireDtype.FP32) {
      // A little-endian float view makes this one bulk memory copy, not a loop of writeFloatLE.
      out.asFloatBuffer().put(src, from, count);
    } else {
      int i = 0;
      for (int bound = F.loopBound(count); i < bound; i += F.length()) {
        bf16(FloatVector.fromArray(F, src, from + i))
            .intoByteBuffer(out, i * Short.BYTES, ByteOrder.LITTLE_ENDIAN);
      }
      for (; i < count; i++) {
        out.putShort(i * Short.BYTES, WireDtype.toBf16(src[from + i]));
      }
    }
    buf.writerIndex(bytes);
    return buf;
  }

  /**
   * A reduce-scatter hop in one pass: data[from, from+count) + the received payload goes straight
   * into the frame for the next rank (header fields as {@link #encode}), and into data too when
   * {@code keep} (the last hop, whose sum is the chunk's result; a middle hop's data is overwritten
   * by the all-gather, so storing it there would only cost a memory stream). Replaces a copy of the
   * payload out of the received buffer, an add loop and a copy into the outgoing buffer: about
   * twice as fast (Vector API loads and stores on the direct buffers). Each element is the one fp32
   * addition data + payload, so the fp32 bits are those of the plain loop. For bf16 the payload is
   * widened exactly, the sum is formed in fp32 and rounded once, and data keeps the rounded sum:
   * the chunk's result, identical to what the all-gather hands every other rank.
   */
  static ByteBuf addAndForward(
      ByteBufAllocator alloc, long step, int bucket, int phase, WireDtype dtype, int chunk, int part,
      float[] data, int from, int count, ByteBuffer payload, boolean keep) {
    int bytes = HEADER_BYTES + count * dtype.bytes();
    ByteBuf buf = alloc.directBuffer(bytes, bytes);
    header(buf, step, bucket, phase, dtype.code(), chunk, part, count);
    ByteBuffer out = buf.nioBuffer(HEADER_BYTES, count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    int i = 0;
    if (dtype == WireDtype.FP32) {
      for (int bound = F.loopBound(count); i < bound; i += F.length()) {
        FloatVector sum = FloatVector.fromArray(F, data, from + i)
            .add(FloatVector.fromByteBuffer(F, payload, i * Float.BYTES, ByteOrder.LITTLE_ENDIAN));
        if (keep) sum.intoArray(data, from + i);
        sum.intoByteBuffer(out, i * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
      }
      for (; i < count; i++) {
        float sum = data[from + i] + payload.getFloat(i * Float.BYTES);
        if (keep) data[from + i] = sum;
        out.putFloat(i * Float.BYTES, sum);
      }
    } else {
      for (int bound = F.loopBound(count); i < bound; i += F.length()) {
        ShortVector b = bf16(FloatVector.fromArray(F, data, from + i).add(
            widen(ShortVector.fromByteBuffer(S, payload, i * Short.BYTES, ByteOrder.LITTLE_ENDIAN))));
        if (keep) widen(b).intoArray(data, from + i);
        b.intoByteBuffer(out, i * Short.BYTES, ByteOrder.LITTLE_ENDIAN);
      }
      for (; i < count; i++) {
        short b = WireDtype.toBf16(data[from + i] + WireDtype.fromBf16(payload.getShort(i * Short.BYTES)));
        if (keep) data[from + i] = WireDtype.fromBf16(b);
        out.putShort(i * Short.BYTES, b);
      }
    }
    buf.writerIndex(bytes);
    return buf;
  }

  /** An all-gather payload into data[from, from+count): a copy for fp32, exact widening for bf16. */
  static void read(WireDtype dtype, ByteBuffer payload, float[] data, int from, int count) {
    if (dtype == WireDtype.FP32) {
      payload.asFloatBuffer().get(data, from, count);
      return;
    }
    int i = 0;
    for (int bound = F.loopBound(count); i < bound; i += F.length()) {
      widen(ShortVector.fromByteBuffer(S, payload, i * Short.BYTES, ByteOrder.LITTLE_ENDIAN))
          .intoArray(data, from + i);
    }
    for (; i < count; i++) {
      data[from + i] = WireDtype.fromBf16(payload.getShort(i * Short.BYTES));
    }
  }

  /** {@link WireDtype#toBf16} lane by lane. */
  private static ShortVector bf16(FloatVector v) {
    IntVector bits = v.reinterpretAsInts();
    IntVector high = bits.lanewise(VectorOperators.LSHR, 16);
    IntVector rounded = bits.add(0x7FFF).add(high.and(1)).lanewise(VectorOperators.LSHR, 16);
    VectorMask<Integer> nan = v.test(VectorOperators.IS_NAN).cast(I);
    return (ShortVector) rounded.blend(high.or(0x40), nan).convertShape(VectorOperators.I2S, S, 0);
  }

  /** bf16 to fp32 lane by lane: the bits shifted into the upper half (exact). */
  private static FloatVector widen(ShortVector b) {
    return ((IntVector) b.convertShape(VectorOperators.S2I, I, 0))
        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  static ByteBuf bye(ByteBufAllocator alloc, int rank) {
    ByteBuf buf = alloc.buffer(HEADER_BYTES);
    header(buf, 0, 0, BYE, 0, rank, 0, 0);
    return buf;
  }

  static ByteBuf abort(ByteBufAllocator alloc, int originRank, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(text.length, MAX_ABORT_BYTES);
    ByteBuf buf = alloc.buffer(HEADER_BYTES + length);
    header(buf, 0, 0, ABORT, 0, originRank, 0, length);
    buf.writeBytes(text, 0, length);
    return buf;
  }

  private static void header(
      ByteBuf buf, long step, int bucket, int phase, int dtype, int chunk, int part, int count) {
    buf.writeIntLE(MAGIC)
        .writeLongLE(step)
        .writeIntLE(bucket)
        .writeShortLE(phase)
        .writeShortLE(dtype)
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
    int phase = in.getUnsignedShortLE(at + 16);
    int count = in.getIntLE(at + 28);
    if (phase == REDUCE_SCATTER || phase == ALL_GATHER) {
      WireDtype dtype = WireDtype.ofCode(in.getUnsignedShortLE(at + 18));
      if (dtype == null) {
        throw new RingException(String.format("garbled frame from %s: unknown wire dtype %d", peer,
            in.getUnsignedShortLE(at + 18)));
      }
      if (count < 0 || count > maxFloats) {
        throw new RingException(String.format(
            "frame from %s carries %d values, limit is %d", peer, count, maxFloats));
      }
      return count * dtype.bytes();
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
