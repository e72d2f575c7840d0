package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
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
  /** 8 KiB of floats: the block stays in L1 while the frame streams through it. */
  static final int BLOCK_FLOATS = 2048;
  private static final ThreadLocal<Block> BLOCK = ThreadLocal.withInitial(Block::new);

  private FrameCodec() {}

  /**
   * Header plus {@code count} values of {@code src} in {@code dtype}: the one copy (and, for bf16,
   * rounding) of the payload on send. {@code src} is left as it is.
   */
  static ByteBuf encode(
      ByteBufAllocator alloc, long step, int bucket, int phase, WireDtype dtype, int chunk, int part,
      float[] src, int from, int count) {
    ByteBuf buf = frame(alloc, step, bucket, phase, dtype, chunk, part, count);
    ByteBuffer out = payloadOf(buf, dtype, count);
    if (dtype == WireDtype.FP32) {
      // A little-endian float view makes this one bulk memory copy, not a loop of writeFloatLE.
      out.asFloatBuffer().put(src, from, count);
    } else {
      ShortBuffer wire = out.asShortBuffer();
      short[] shorts = BLOCK.get().shorts;
      for (int done = 0; done < count; done += BLOCK_FLOATS) {
        int n = Math.min(BLOCK_FLOATS, count - done);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
          bf16(FloatVector.fromArray(F, src, from + done + i)).intoArray(shorts, i);
        }
        for (; i < n; i++) {
          shorts[i] = WireDtype.toBf16(src[from + done + i]);
        }
        wire.put(shorts, 0, n);
      }
    }
    return buf;
  }

  /**
   * A reduce-scatter hop: data[from, from+count) + the received payload goes into the frame for the
   * next rank (header fields as {@link #encode}), and into data too when {@code keep} (the last
   * hop, whose sum is the chunk's result; a middle hop's data is overwritten by the all-gather, so
   * storing it there would only cost a memory stream). Each element is the one fp32 addition
   * data + payload, so the fp32 bits are those of the plain loop. For bf16 the payload is widened
   * exactly, the sum is formed in fp32 and rounded once, and data keeps the rounded sum: the
   * chunk's result, identical to what the all-gather hands every other rank.
   *
   * <p>It works through an L1-sized block: bulk copy in from the received buffer, vector add on
   * arrays, bulk copy out. Only {@code fromArray}/{@code intoArray} exist in every Vector API from
   * JDK 17 to 25 (the ByteBuffer loads of 17 were replaced by MemorySegment ones), and the block's
   * extra copies stay in the cache while data, payload and frame each stream through memory once.
   */
  static ByteBuf addAndForward(
      ByteBufAllocator alloc, long step, int bucket, int phase, WireDtype dtype, int chunk, int part,
      float[] data, int from, int count, ByteBuffer payload, boolean keep) {
    ByteBuf buf = frame(alloc, step, bucket, phase, dtype, chunk, part, count);
    ByteBuffer out = payloadOf(buf, dtype, count);
    Block block = BLOCK.get();
    if (dtype == WireDtype.FP32) {
      FloatBuffer in = payload.asFloatBuffer();
      FloatBuffer wire = out.asFloatBuffer();
      float[] sums = block.floats;
      for (int done = 0; done < count; done += BLOCK_FLOATS) {
        int n = Math.min(BLOCK_FLOATS, count - done);
        int at = from + done;
        in.get(sums, 0, n);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
          FloatVector sum = FloatVector.fromArray(F, data, at + i).add(FloatVector.fromArray(F, sums, i));
          sum.intoArray(sums, i);
          if (keep) sum.intoArray(data, at + i);
        }
        for (; i < n; i++) {
          sums[i] += data[at + i];
          if (keep) data[at + i] = sums[i];
        }
        wire.put(sums, 0, n);
      }
    } else {
      ShortBuffer in = payload.asShortBuffer();
      ShortBuffer wire = out.asShortBuffer();
      short[] shorts = block.shorts;
      for (int done = 0; done < count; done += BLOCK_FLOATS) {
        int n = Math.min(BLOCK_FLOATS, count - done);
        int at = from + done;
        in.get(shorts, 0, n);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
          ShortVector b = bf16(FloatVector.fromArray(F, data, at + i).add(widen(ShortVector.fromArray(S, shorts, i))));
          b.intoArray(shorts, i);
          if (keep) widen(b).intoArray(data, at + i);
        }
        for (; i < n; i++) {
          shorts[i] = WireDtype.toBf16(data[at + i] + WireDtype.fromBf16(shorts[i]));
          if (keep) data[at + i] = WireDtype.fromBf16(shorts[i]);
        }
        wire.put(shorts, 0, n);
      }
    }
    return buf;
  }

  /** An all-gather payload into data[from, from+count): a copy for fp32, exact widening for bf16. */
  static void read(WireDtype dtype, ByteBuffer payload, float[] data, int from, int count) {
    if (dtype == WireDtype.FP32) {
      payload.asFloatBuffer().get(data, from, count);
      return;
    }
    ShortBuffer in = payload.asShortBuffer();
    short[] shorts = BLOCK.get().shorts;
    for (int done = 0; done < count; done += BLOCK_FLOATS) {
      int n = Math.min(BLOCK_FLOATS, count - done);
      int at = from + done;
      in.get(shorts, 0, n);
      int i = 0;
      for (int bound = F.loopBound(n); i < bound; i += F.length()) {
        widen(ShortVector.fromArray(S, shorts, i)).intoArray(data, at + i);
      }
      for (; i < n; i++) {
        data[at + i] = WireDtype.fromBf16(shorts[i]);
      }
    }
  }

  /** A frame of {@code count} values in {@code dtype}: its header written, its payload to fill. */
  private static ByteBuf frame(
      ByteBufAllocator alloc, long step, int bucket, int phase, WireDtype dtype, int chunk, int part, int count) {
    int bytes = HEADER_BYTES + count * dtype.bytes();
    ByteBuf buf = alloc.directBuffer(bytes, bytes);
    header(buf, step, bucket, phase, dtype.code(), chunk, part, count);
    buf.writerIndex(bytes);
    return buf;
  }

  private static ByteBuffer payloadOf(ByteBuf frame, WireDtype dtype, int count) {
    return frame.nioBuffer(HEADER_BYTES, count * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
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

  /** One event loop's scratch for {@link #BLOCK_FLOATS} values (the ring runs these on its loops). */
  private static final class Block {
    final float[] floats = new float[BLOCK_FLOATS];
    final short[] shorts = new short[BLOCK_FLOATS];
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
