package io.ringtrain.train;

import io.ringtrain.data.ShardSet;
import io.ringtrain.model.GptModel;
import java.io.IOException;

/**
 * Evaluation data as {@code ringtrain eval} defines it: B sequences of T+1 consecutive tokens per
 * batch from the shards' start, sequence i starting at token i·T, for K batches. Fixed, so every
 * evaluation of every run scores the same tokens.
 */
public final class EvalBatches {
  private final ShardSet shards;
  private final int batch;
  private final int seqLen;
  private final int batches;
  private final int chunksPerBatch;
  private final int[] window;
  private final int[] inputs;
  private final int[] targets;

  /** Batches of {@code batch} sequences: what {@code ringtrain eval} scores. */
  public EvalBatches(ShardSet shards, int batch, int seqLen, int wanted) {
    this(shards, batch, seqLen, wanted, 1);
  }

  /**
   * At most {@code wanted} batches of {@code chunksPerBatch × batch} sequences: fewer when the
   * shards are shorter; none is an error.
   */
  public EvalBatches(ShardSet shards, int batch, int seqLen, int wanted, int chunksPerBatch) {
    long fit = (shards.tokens() - 1) / ((long) chunksPerBatch * batch * seqLen);
    if (fit < 1) {
      throw new IllegalArgumentException("evaluation shards hold " + shards.tokens() + " tokens: fewer than one batch of "
          + (long) chunksPerBatch * batch + " sequences of " + (seqLen + 1) + " tokens");
    }
    this.chunksPerBatch = chunksPerBatch;
    this.shards = shards;
    this.batch = batch;
    this.seqLen = seqLen;
    this.batches = (int) Math.min(wanted, fit);
    this.window = new int[seqLen + 1];
    this.inputs = new int[batch * seqLen];
    this.targets = new int[batch * seqLen];
  }

  public int batches() {
    return batches;
  }

  public int chunksPerBatch() {
    return chunksPerBatch;
  }

  /** Mean loss of batch {@code k} (one chunk). */
  public double loss(GptModel model, int k) throws IOException {
    return loss(model, k, 0);
  }

  /** Mean loss of chunk {@code c} of batch {@code k}. */
  public double loss(GptModel model, int k, int c) throws IOException {
    long first = ((long) k * chunksPerBatch + c) * batch;
    for (int b = 0; b < batch; b++) {
      long start = (first + b) * seqLen;
      shards.read(start, seqLen + 1, window, 0);
      System.arraycopy(window, 0, inputs, b * seqLen, seqLen);
      System.arraycopy(window, 1, targets, b * seqLen, seqLen);
    }
    return model.forward(inputs, targets, batch, seqLen);
  }
}
