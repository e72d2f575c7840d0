package io.ringtrain.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.plan.StepTimeEstimate.Bucket;
import io.ringtrain.plan.StepTimeEstimate.Link;
import io.ringtrain.plan.StepTimeEstimate.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's arithmetic on cases small enough to work out by hand (1 GB/s links, whole milliseconds). */
class StepTimeEstimateTest {
  private static final Link GB_PER_S = new Link(1e9, 0);
  /** 4 MB in fp32. */
  private static final int MILLION = 1_000_000;
  private static final int HUGE_FRAMES = Integer.MAX_VALUE / 8;

  @Test
  void oneBucketAtTheEndIsAllExposed() {
    // 2 workers: each sends 2(N-1)/N = 1 x 4 MB = 4 ms; the chunk (2 MB, frames larger) is stored
    // and forwarded over 2(N-1) = 2 hops: 2 ms each. 30 ms of compute + 8 ms.
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 1)), 2, 1, 30, "fp32", 4, GB_PER_S, HUGE_FRAMES);
    assertEquals(30, r.computeMs(), 1e-9);
    assertEquals(8, r.exposedMs(), 1e-9);
    assertEquals(38, r.stepMs(), 1e-9);
    assertEquals(30.0 / 38, r.efficiency(), 1e-12);
    assertEquals(8, r.ringMs(), 1e-9);
    assertEquals(4_000_000, r.wireBytesPerStep());
  }

  @Test
  void bf16HalvesTheBytesAndTheirTime() {
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 1)), 2, 1, 30, "bf16", 2, GB_PER_S, HUGE_FRAMES);
    assertEquals(4, r.exposedMs(), 1e-9);
    assertEquals(2_000_000, r.wireBytesPerStep());
  }

  @Test
  void smallFramesPipelineAndLatencyAddsPerHop() {
    // 4 workers, 1000-float frames (4 KB: 4 us a hop), 50 us a hop: 6 hops x 54 us = 0.324 ms
    // on top of 2(N-1)/N x 4 MB = 6 ms.
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 1)), 4, 1, 30, "fp32", 4,
        new Link(1e9, 50e-6), 1000);
    assertEquals(6.324, r.exposedMs(), 1e-9);
    assertEquals(6_000_000, r.wireBytesPerStep());
  }

  @Test
  void aBucketReadyHalfwayThroughTheBackwardIsHidden() {
    // Backward = 2/3 of 30 ms, from 10 ms; ready at 10 + 0.5 x 20 = 20 ms, sent by 24 ms, in by 24.008.
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 0.5)), 2, 1, 30, "fp32", 4, GB_PER_S, 1000);
    assertEquals(0, r.exposedMs(), 1e-12);
    assertEquals(1, r.efficiency(), 1e-12);
    // Ready at 0.9 (28 ms): sent by 32, in by 32.008.
    Result late = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 0.9)), 2, 1, 30, "fp32", 4, GB_PER_S, 1000);
    assertEquals(2.008, late.exposedMs(), 1e-9);
  }

  @Test
  void bucketsQueueInThePipe() {
    // Both ready at 28 ms: the second enters once the first is through (32 ms), is through at 36.
    List<Bucket> two = List.of(new Bucket(MILLION, 0.9), new Bucket(MILLION, 0.9));
    Result r = StepTimeEstimate.estimate(two, 2, 1, 30, "fp32", 4, GB_PER_S, 1000);
    assertEquals(6.008, r.exposedMs(), 1e-9);
    assertEquals(8.008, r.ringMs(), 1e-9);
  }

  @Test
  void accumulationAddsComputeButNotCommunication() {
    // 4 micro-batches of 30 ms: the last backward starts at 100 ms; the bucket ends it at 120 and is in at 128.
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 1)), 2, 4, 30, "fp32", 4, GB_PER_S, HUGE_FRAMES);
    assertEquals(120, r.computeMs(), 1e-9);
    assertEquals(8, r.exposedMs(), 1e-9);
    assertEquals(120.0 / 128, r.efficiency(), 1e-12);
  }

  @Test
  void oneWorkerHasNothingToSend() {
    Result r = StepTimeEstimate.estimate(List.of(new Bucket(MILLION, 1)), 1, 2, 30, "fp32", 4, GB_PER_S, 1000);
    assertEquals(60, r.stepMs(), 1e-9);
    assertEquals(1, r.efficiency());
    assertEquals(0, r.wireBytesPerStep());
  }

  @Test
  void theTrainersBucketsCoverTheModelInBackwardOrder() {
    GptConfig config = GptConfig.of(2, 2, 64, 32, 256);
    ParameterLayout layout = new ParameterLayout(config);
    List<Bucket> buckets = StepTimeEstimate.buckets(config);
    assertEquals(4, buckets.size()); // final LayerNorm, layer 2, layer 1, embeddings
    assertEquals(layout.numParams(), buckets.stream().mapToLong(Bucket::floats).sum());
    assertEquals(2 * 64, buckets.get(0).floats());
    assertEquals(12 * 64 * 64 + 13 * 64, buckets.get(1).floats());
    assertEquals(256 * 64 + 32 * 64, buckets.get(3).floats());
    // Backward FLOPs per token: head 4·C·Vp = 65,536; each layer 2·(24·C² + 4·T·C) = 212,992.
    double total = 65_536 + 2 * 212_992;
    assertEquals(65_536 / total, buckets.get(0).ready(), 1e-12);
    assertEquals((65_536 + 212_992) / total, buckets.get(1).ready(), 1e-12);
    assertEquals(1, buckets.get(2).ready(), 1e-12);
    assertEquals(1, buckets.get(3).ready(), 1e-12);
  }

  @Test
  void badInputIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Link(0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> StepTimeEstimate.estimate(List.of(), 0, 1, 30, "fp32", 4, GB_PER_S, 1000));
    assertThrows(IllegalArgumentException.class,
        () -> StepTimeEstimate.estimate(List.of(), 2, 1, 0, "fp32", 4, GB_PER_S, 1000));
    assertEquals(1e9, Link.gbit(8, 20).bytesPerSecond(), 1e-3);
    assertEquals(20e-6, Link.gbit(8, 20).latencySeconds(), 1e-15);
  }
}
