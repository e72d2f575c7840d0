package io.ringtrain.data;

import io.ringtrain.proto.DataCursor;
import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Yields (input, target) micro-batches for one rank of a data-parallel job.
 *
 * <p>The token stream is cut into windows of T+1 tokens starting every T tokens (as llm.c does),
 * and each epoch visits them in an order drawn from the seed. One optimizer step of the whole
 * job consumes {@code world × B} consecutive windows of that order; rank r takes the r-th run of
 * B of them. So ranks never share data within a step, and N ranks with batch B see exactly the
 * windows that one rank with batch N·B sees, in the same order. The cursor (epoch, position) is
 * all the state there is: restoring it gives the same next batch.
 */
public final class DataLoader {
  private final ShardSet shards;
  private final int rank;
  private final int world;
  private final int batch;
  private final int seqLen;
  private final long seed;
  private final int windows;
  private final int stepsPerEpoch;
  private final int[] order;
  private final int[] window;
  private long epoch = -1;
  private long position;

  public DataLoader(ShardSet shards, int rank, int world, int batch, int seqLen, long seed) {
    if (world < 1 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " is outside a world of " + world);
    }
    if (batch < 1 || seqLen < 1) {
      throw new IllegalArgumentException("batch=" + batch + " and seq_len=" + seqLen + " must be > 0");
    }
    long count = (shards.tokens() - 1) / seqLen;
    if (count < (long) world * batch) {
      throw new IllegalArgumentException("the shards hold " + shards.tokens() + " tokens: too few for"
          + " one global batch of " + world + "×" + batch + " sequences of " + (seqLen + 1) + " tokens");
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("too many windows (" + count + ") for one loader: raise seq_len");
    }
    this.shards = shards;
    this.rank = rank;
    this.world = world;
    this.batch = batch;
    this.seqLen = seqLen;
    this.seed = seed;
    this.windows = (int) count;
    this.stepsPerEpoch = (int) (count / ((long) world * batch));
    this.order = new int[windows];
    this.window = new int[seqLen + 1];
    restore(DataCursor.newBuilder().setEpoch(0).setPosition(0).setSeed(seed).build());
  }

  /** Global steps in one pass over the data. */
  public int stepsPerEpoch() {
    return stepsPerEpoch;
  }

  /** Fills {@code inputs} and {@code targets} (B×T each, row-major) with the next micro-batch. */
  public void next(int[] inputs, int[] targets) throws IOException {
    if (position == stepsPerEpoch) {
      shuffle(epoch + 1);
      position = 0;
    }
    long first = position * world * batch + (long) rank * batch;
    for (int b = 0; b < batch; b++) {
      long start = (long) order[(int) (first + b)] * seqLen;
      shards.read(start, seqLen + 1, window, 0);
      System.arraycopy(window, 0, inputs, b * seqLen, seqLen);
      System.arraycopy(window, 1, targets, b * seqLen, seqLen);
    }
    position++;
  }

  public DataCursor cursor() {
    return DataCursor.newBuilder().setEpoch(epoch).setPosition(position).setSeed(seed).build();
  }

  /** Continues from a saved cursor; the next batch is the one that followed it. */
  public void restore(DataCursor cursor) {
    if (cursor.getSeed() != seed) {
      throw new IllegalArgumentException("data cursor was saved with seed " + cursor.getSeed()
          + " but this loader uses seed " + seed);
    }
    if (cursor.getPosition() > stepsPerEpoch) {
      throw new IllegalArgumentException("data cursor position " + cursor.getPosition()
          + " is past the epoch's " + stepsPerEpoch + " steps: the data or batch shape changed");
    }
    shuffle(cursor.getEpoch());
    position = cursor.getPosition();
  }

  private void shuffle(long newEpoch) {
    for (int i = 0; i < windows; i++) order[i] = i;
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + newEpoch);
    for (int i = windows - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    epoch = newEpoch;
  }
}
