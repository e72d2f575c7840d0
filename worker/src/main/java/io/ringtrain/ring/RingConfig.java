package io.ringtrain.ring;

import java.util.Objects;

/**
 * One rank's view of the ring.
 *
 * @param rank this worker's position, 0 .. worldSize-1; it accepts from rank-1 and connects to rank+1
 * @param worldSize number of ranks
 * @param jobId mixed into the handshake MAC so that two jobs sharing a secret cannot cross-connect
 * @param secret the job's shared secret
 * @param bindHost address the listening socket binds to
 * @param port listening port; 0 picks a free one (see {@link RingPeer#bind()})
 * @param timeoutMs a pending all-reduce fails when no frame arrives for this long; also bounds the
 *     handshake. It must exceed the worst compute skew between ranks at a bucket boundary.
 * @param connectTimeoutMs how long {@link RingPeer#connect} keeps retrying while peers start up
 * @param subChunkFloats pipelining unit: every frame carries at most this many floats. All ranks
 *     must agree on it; it is also the frame size limit.
 */
public record RingConfig(
    int rank,
    int worldSize,
    String jobId,
    byte[] secret,
    String bindHost,
    int port,
    long timeoutMs,
    long connectTimeoutMs,
    int subChunkFloats) {

  /** 128 KiB frames: large enough to amortise per-frame costs, small enough to pipeline. */
  public static final int DEFAULT_SUB_CHUNK_FLOATS = 32 * 1024;

  public RingConfig {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(bindHost, "bindHost");
    if (worldSize < 1) {
      throw new IllegalArgumentException("worldSize must be >= 1, got " + worldSize);
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("rank " + rank + " outside 0.." + (worldSize - 1));
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 0..65535");
    }
    if (timeoutMs <= 0 || connectTimeoutMs <= 0) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (subChunkFloats < 1 || subChunkFloats > FrameCodec.MAX_FRAME_FLOATS) {
      throw new IllegalArgumentException(
          "subChunkFloats must be in 1.." + FrameCodec.MAX_FRAME_FLOATS + ", got " + subChunkFloats);
    }
  }

  /** Loopback, free port, 30 s stall timeout, 60 s to connect, 128 KiB frames. */
  public static RingConfig of(int rank, int worldSize, String jobId, byte[] secret) {
    return new RingConfig(
        rank, worldSize, jobId, secret, "127.0.0.1", 0, 30_000, 60_000, DEFAULT_SUB_CHUNK_FLOATS);
  }

  public RingConfig withBind(String host, int newPort) {
    return new RingConfig(
        rank, worldSize, jobId, secret, host, newPort, timeoutMs, connectTimeoutMs, subChunkFloats);
  }

  public RingConfig withTimeouts(long stallMs, long connectMs) {
    return new RingConfig(
        rank, worldSize, jobId, secret, bindHost, port, stallMs, connectMs, subChunkFloats);
  }

  public RingConfig withSubChunkFloats(int floats) {
    return new RingConfig(
        rank, worldSize, jobId, secret, bindHost, port, timeoutMs, connectTimeoutMs, floats);
  }

  int prev() {
    return (rank + worldSize - 1) % worldSize;
  }

  int next() {
    return (rank + 1) % worldSize;
  }
}
