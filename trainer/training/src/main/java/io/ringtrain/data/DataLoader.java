package io.ringtrain.data;

import io.ringtrain.proto.DataCursor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Yields (input, target) micro-batches for one rank of a data-parallel job.
 *
 * <p>The token stream is cut into windows of T+1 tokens starting every T tokens (as llm.c does),
 * and each epoch visits them in an order drawn from the seed. One optimizer step of the whole
 * job consumes {@code world × B} consecutive windows of that order; rank r takes the r-th run of
 * B of them. So ranks never share data within a step, and N ranks with batch B see exactly the
 * windows that one rank with batch N·B sees, in the same order. The cursor (epoch, position) is
 * all the state there is: restoring it gives the same next batch.
 *
 * <p>Each rank reads only its own windows, and the next micro-batch's are read in the background
 * while the current one trains (a positioned read per window is a network round trip on HDFS).
 * Every read of a loader runs on its one reader thread, which ends after a few idle seconds.
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
  private final ExecutorService reader;
  private long epoch = -1;
  private long position;
  /** The windows of the micro-batch at (aheadEpoch, aheadPosition), being read; null when none. */
  private CompletableFuture<int[]> ahead;
  private long aheadEpoch;
  private long aheadPosition;

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
    ThreadPoolExecutor one = new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "data-read-ahead");
      t.setDaemon(true);
      return t;
    });
    this.reader = one;
    restore(DataCursor.newBuilder().setEpoch(0).setPosition(0).setSeed(seed).build());
  }

  /** Global steps in one pass over the data (for tests: the loader itself needs only its cursor). */
  public int stepsPerEpoch() {
    return stepsPerEpoch;
  }

  /** Fills {@code inputs} and {@code targets} (B×T each, row-major) with the next micro-batch. */
  public void next(int[] inputs, int[] targets) throws IOException {
    if (position == stepsPerEpoch) {
      shuffle(epoch + 1);
      position = 0;
    }
    CompletableFuture<int[]> read = ahead != null && aheadEpoch == epoch && aheadPosition == position ? ahead
        : readAsync(position);
    int[] tokens = join(read);
    for (int b = 0; b < batch; b++) {
      System.arraycopy(tokens, b * (seqLen + 1), inputs, b * seqLen, seqLen);
      System.arraycopy(tokens, b * (seqLen + 1) + 1, targets, b * seqLen, seqLen);
    }
    position++;
    // The next micro-batch of this epoch, while this one trains (the next epoch's order is not drawn yet).
    ahead = position < stepsPerEpoch ? readAsync(position) : null;
    aheadEpoch = epoch;
    aheadPosition = position;
  }

  /** This rank's B windows of T+1 tokens at {@code step} of the current epoch, read on the reader thread. */
  private CompletableFuture<int[]> readAsync(long step) {
    long first = step * world * batch + (long) rank * batch;
    long[] starts = new long[batch];
    for (int b = 0; b < batch; b++) starts[b] = (long) order[(int) (first + b)] * seqLen;
    return CompletableFuture.supplyAsync(() -> {
      int[] tokens = new int[batch * (seqLen + 1)];
      try {
        for (int b = 0; b < batch; b++) shards.read(starts[b], seqLen + 1, tokens, b * (seqLen + 1));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return tokens;
    }, reader);
  }

  private static int[] join(CompletableFuture<int[]> read) throws IOException {
    try {
      return read.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof UncheckedIOException u) throw u.getCause();
      throw e;
    }
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
    ahead = null; // read for another cursor
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
