package io.ringtrain.ring;

import java.util.Objects;

/**
 * One rank's view of the ring.
 *
 * @param rank this worker's position, 0 .. worldSize-1; it accepts from rank-1 and connects to rank+1
 * @param worldSize number of ranks
 * @param jobId mixed into the handshake MACs so that two jobs (or two generations of one job, when
 *     the generation is part of it) sharing a secret cannot cross-connect
 * @param secret the job's shared secret
 * @param timeoutMs a pending all-reduce fails when no frame arrives for this long. It must exceed
 *     the worst compute skew between ranks at a bucket boundary.
 * @param connectTimeoutMs how long {@link RingPeer#connect} keeps retrying while peers start up;
 *     also bounds the handshake with the next rank, and the stall of the ring's first step (a
 *     rank's first step may be a cold JVM's)
 * @param subChunkFloats pipelining unit: every frame carries at most this many floats. All ranks
 *     must agree on it; it is also the frame size limit.
 * @param wireDtype the precision of {@link RingPeer#allReduce(long, int, float[], int, int)}; the
 *     handshake refuses a neighbour with another one. An exact fp32 all-reduce is always available.
 */
public record RingConfig(
    int rank,
    int worldSize,
    String jobId,
    byte[] secret,
    long timeoutMs,
    long connectTimeoutMs,
    int subChunkFloats,
    WireDtype wireDtype) {

  /** 128 KiB frames: large enough to amortise per-frame costs, small enough to pipeline. */
  public static final int DEFAULT_SUB_CHUNK_FLOATS = 32 * 1024;

  public RingConfig {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(wireDtype, "wireDtype");
    if (worldSize < 1) {
      throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside 0.." + (worldSize - 1));
    }
    if (timeoutMs <= 0 || connectTimeoutMs <= 0) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (subChunkFloats < 1 || subChunkFloats > FrameCodec.MAX_FRAME_FLOATS) {
      throw new IllegalArgumentException(
          "subChunkFloats must be in 1.." + FrameCodec.MAX_FRAME_FLOATS + ", got " + subChunkFloats);
    }
  }

  /** 30 s stall timeout, 60 s to connect, 128 KiB frames, fp32 on the wire. */
  public static RingConfig of(int rank, int worldSize, String jobId, byte[] secret) {
    return new RingConfig(
        rank, worldSize, jobId, secret, 30_000, 60_000, DEFAULT_SUB_CHUNK_FLOATS, WireDtype.FP32);
  }

  public RingConfig withTimeouts(long stallMs, long connectMs) {
    return new RingConfig(
        rank, worldSize, jobId, secret, stallMs, connectMs, subChunkFloats, wireDtype);
  }

  /** Smaller frames: for tests that need many frames per chunk without large arrays. */
  public RingConfig withSubChunkFloats(int floats) {
    return new RingConfig(
        rank, worldSize, jobId, secret, timeoutMs, connectTimeoutMs, floats, wireDtype);
  }

  public RingConfig withWireDtype(WireDtype dtype) {
    return new RingConfig(
        rank, worldSize, jobId, secret, timeoutMs, connectTimeoutMs, subChunkFloats, dtype);
  }

  int prev() {
    return (rank + worldSize - 1) % worldSize;
  }

  int next() {
    return (rank + 1) % worldSize;
  }
}
