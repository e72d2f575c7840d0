package io.ringtrain.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SplitMix64 generator whose whole state is one long, so a checkpoint can save and restore it
 * as 8 bytes ({@link #state()} / {@link #fromState(byte[])}) and continue the exact sequence.
 */
public final class Rng {
  private long state;

  public Rng(long seed) {
    this.state = seed;
  }

  public long nextLong() {
    long z = (state += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    return (int) ((nextLong() >>> 33) % bound);
  }

  /**
   * Standard normal by Box-Muller. The second value of each pair is dropped rather than cached,
   * so the generator state stays a single long.
   */
  public double nextGaussian() {
    double u1 = 1.0 - nextDouble(); // in (0, 1]: log is finite
    double u2 = nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  public byte[] state() {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(state).array();
  }

  public static Rng fromState(byte[] bytes) {
    if (bytes.length != 8) {
      throw new IllegalArgumentException("Rng state is 8 bytes, got " + bytes.length);
    }
    return new Rng(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong());
  }
}
