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
  private final int[] window;
  private final int[] inputs;
  private final int[] targets;

  /** At most {@code wanted} batches: fewer when the shards are shorter; none is an error. */
  public EvalBatches(ShardSet shards, int batch, int seqLen, int wanted) {
    long fit = (shards.tokens() - 1) / ((long) batch * seqLen);
    if (fit < 1) {
      throw new IllegalArgumentException("evaluation shards hold " + shards.tokens() + " tokens: fewer than one batch of "
          + batch + " sequences of " + (seqLen + 1) + " tokens");
    }
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

  /** Mean loss of batch {@code k}. */
  public double loss(GptModel model, int k) throws IOException {
    for (int b = 0; b < batch; b++) {
      long start = ((long) k * batch + b) * seqLen;
      shards.read(start, seqLen + 1, window, 0);
      System.arraycopy(window, 0, inputs, b * seqLen, seqLen);
      System.arraycopy(window, 1, targets, b * seqLen, seqLen);
    }
    return model.forward(inputs, targets, batch, seqLen);
  }
}
