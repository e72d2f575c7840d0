package io.ringtrain.plan;

import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Step time and scaling efficiency of data-parallel training over the ring: an alpha-beta model of
 * what the Trainer really does, not of an ideal all-reduce.
 *
 * <p><b>What the trainer does.</b> Gradients are all-reduced per {@link ParameterLayout} segment
 * (the final LayerNorm, each layer, the embeddings), each one started the moment the last
 * micro-batch's backward completes it: the final LayerNorm after the LM head's backward, then the
 * layers from the last to the first, and last of all the embeddings (wte is tied to the LM head,
 * so its gradient is complete only at the very end). Earlier micro-batches of an accumulated step
 * start nothing. The optimizer waits for every segment.
 *
 * <p><b>The model.</b> A micro-batch's compute c splits 1:2 between forward and backward (their
 * FLOPs); within the backward, segment k is ready when the FLOPs before it are done. Every link
 * of the ring carries the same bytes, so the ring is one pipe: a segment's bytes enter it when
 * the segment is ready and the pipe has drained the earlier ones, and take 2(N-1)/N · S/β (S its
 * bytes in the wire dtype, β the link's bytes per second). Its last sub-chunk then still crosses
 * 2(N-1) hops, each costing the latency α plus the sub-chunk's store-and-forward time: 2(N-1) ·
 * (α + min(sub-chunk, S/N)/β). The step takes A·c of compute plus whatever of the all-reduce
 * outlasts it; efficiency is A·c over that (a worker's throughput against one alone).
 *
 * <p>What it leaves out: CPU time the ring takes from compute (on a real link it is small; on
 * 127.0.0.1 it is the limit), the optimizer's share of c, and stragglers.
 */
public final class StepTimeEstimate {
  private StepTimeEstimate() {}

  /**
   * A ring link.
   *
   * @param bytesPerSecond one direction's capacity
   * @param latencySeconds one hop's latency α: time from a frame's last byte sent to its arrival
   */
  public record Link(double bytesPerSecond, double latencySeconds) {
    public Link {
      if (!(bytesPerSecond > 0) || !(latencySeconds >= 0)) {
        throw new IllegalArgumentException("a link needs a bandwidth > 0 and a latency >= 0, got "
            + bytesPerSecond + " B/s and " + latencySeconds + " s");
      }
    }

    public static Link gbit(double gbitPerSecond, double latencyMicros) {
      return new Link(gbitPerSecond * 1e9 / 8, latencyMicros * 1e-6);
    }
  }

  /**
   * One all-reduce of a step.
   *
   * @param floats its length
   * @param ready when its gradient is complete, as a fraction of the last micro-batch's backward
   */
  public record Bucket(int floats, double ready) {}

  /** One prediction; times in milliseconds. */
  public record Result(int workers, int gradAccum, String wireDtype, double computeMs, double ringMs,
      double exposedMs, double stepMs, double efficiency, long wireBytesPerStep) {

    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"workers\":%d,\"grad_accum\":%d,\"wire_dtype\":\"%s\",\"compute_ms\":%.3f,\"ring_ms\":%.3f,"
              + "\"exposed_ms\":%.3f,\"step_ms\":%.3f,\"efficiency\":%.4f,\"wire_bytes_per_step\":%d}",
          workers, gradAccum, wireDtype, computeMs, ringMs, exposedMs, stepMs, efficiency,
          wireBytesPerStep);
    }
  }

  /**
   * The trainer's buckets for this model, in the order the backward completes them, each with the
   * fraction of the backward's FLOPs done by then. Backward FLOPs per token: the LM head 4·C·Vp;
   * each layer twice its forward, 2·(24·C² + 4·T·C) (its matmuls, and attention's scores and their
   * use over T positions); the embeddings' scatter next to nothing.
   */
  public static List<Bucket> buckets(GptConfig config) {
    ParameterLayout layout = new ParameterLayout(config);
    double c = config.nEmbd();
    double head = 4 * c * config.paddedVocabSize();
    double layer = 2 * (24 * c * c + 4.0 * config.blockSize() * c);
    double total = head + config.nLayer() * layer;
    List<Bucket> buckets = new ArrayList<>();
    int lnf = config.nLayer() + 1;
    buckets.add(new Bucket(floats(layout, lnf), head / total));
    for (int l = config.nLayer(); l >= 1; l--) {
      buckets.add(new Bucket(floats(layout, l), (head + (config.nLayer() - l + 1) * layer) / total));
    }
    buckets.add(new Bucket(floats(layout, 0), 1));
    return buckets;
  }

  private static int floats(ParameterLayout layout, int segment) {
    return layout.segmentEnd(segment) - layout.segmentStart(segment);
  }

  /**
   * The step of N workers.
   *
   * @param microBatchMs one worker's compute for one micro-batch (forward and backward; what
   *     {@code bench train} measures for its batch)
   * @param wireBytes bytes per element on the wire (4 for fp32, 2 for bf16)
   * @param subChunkFloats the ring's frame size in elements (its pipelining unit)
   */
  public static Result estimate(List<Bucket> buckets, int workers, int gradAccum, double microBatchMs,
      String wireDtype, int wireBytes, Link link, int subChunkFloats) {
    if (workers < 1 || gradAccum < 1 || !(microBatchMs > 0) || wireBytes < 1 || subChunkFloats < 1) {
      throw new IllegalArgumentException("workers, grad_accum, wire bytes and sub-chunk must be >= 1 and "
          + "the compute time > 0; got " + workers + ", " + gradAccum + ", " + wireBytes + ", "
          + subChunkFloats + ", " + microBatchMs + " ms");
    }
    double compute = gradAccum * microBatchMs / 1e3;
    long bytesPerStep = 0;
    for (Bucket b : buckets) {
      bytesPerStep += (long) b.floats() * wireBytes;
    }
    if (workers == 1) {
      return new Result(1, gradAccum, wireDtype, compute * 1e3, 0, 0, compute * 1e3, 1, 0);
    }
    double backward = microBatchMs / 1e3 * 2 / 3;
    double backwardStart = compute - backward;
    double hops = 2.0 * (workers - 1);
    double share = hops / workers;
    double drained = 0; // when the pipe has carried every bucket entered so far
    double done = 0;
    double busy = 0;
    double slowestLatency = 0;
    for (Bucket b : buckets) {
      double bytes = (double) b.floats() * wireBytes;
      double transfer = share * bytes / link.bytesPerSecond();
      double frame = Math.min((double) subChunkFloats * wireBytes, bytes / workers);
      double latency = hops * (link.latencySeconds() + frame / link.bytesPerSecond());
      drained = Math.max(drained, backwardStart + b.ready() * backward) + transfer;
      done = Math.max(done, drained + latency);
      busy += transfer;
      slowestLatency = Math.max(slowestLatency, latency);
    }
    double exposed = Math.max(0, done - compute);
    double step = compute + exposed;
    return new Result(workers, gradAccum, wireDtype, compute * 1e3, (busy + slowestLatency) * 1e3,
        exposed * 1e3, step * 1e3, compute / step, bytesPerStep * (long) (2 * (workers - 1)) / workers);
  }
}
