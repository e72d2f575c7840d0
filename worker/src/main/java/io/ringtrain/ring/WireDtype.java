package io.ringtrain.ring;

import java.util.Arrays;
import java.util.Locale;

/**
 * The precision partial sums travel in. Sums are always formed in fp32 inside a rank; bf16 rounds
 * each value a rank sends (round to nearest, ties to even: the upper half of the fp32 bits), which
 * halves the bytes on the wire. bf16 keeps fp32's exponent range, so gradients neither overflow nor
 * flush to zero where fp32 would not; it keeps 8 significant bits (relative error at most 2^-8 per rounding).
 */
public enum WireDtype {
  FP32(0, Float.BYTES),
  BF16(1, Short.BYTES);

  private final int code;
  private final int bytes;

  WireDtype(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  /** The value in frame headers and the handshake. */
  int code() {
    return code;
  }

  /** Bytes per element on the wire. */
  public int bytes() {
    return bytes;
  }

  /** The name as cluster.wire_dtype spells it. */
  public String spelling() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code fp32} or {@code bf16}, as in cluster.wire_dtype. */
  public static WireDtype of(String spelling) {
    for (WireDtype d : values()) {
      if (d.spelling().equals(spelling)) {
        return d;
      }
    }
    throw new IllegalArgumentException("wire dtype \"" + spelling + "\" is not one of "
        + Arrays.stream(values()).map(WireDtype::spelling).toList());
  }

  /** The dtype with this header code, or null for an unknown one. */
  static WireDtype ofCode(int code) {
    for (WireDtype d : values()) {
      if (d.code == code) {
        return d;
      }
    }
    return null;
  }

  /**
   * fp32 to bf16 bits, round to nearest, ties to even. NaN stays NaN (quiet): adding the rounding
   * bias to a NaN whose payload sits in the low bits would turn it into infinity.
   */
  static short toBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  static float fromBf16(short bf16) {
    return Float.intBitsToFloat(bf16 << 16);
  }
}
