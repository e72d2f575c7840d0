package io.ringtrain.checkpoint;

import io.ringtrain.proto.CheckpointManifest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes checkpoints in the background so that training never waits for a disk or HDFS: the state
 * is copied aside in memory (milliseconds: the only stall), then written and committed on a thread
 * of its own while the next steps run. One write is in flight at a time; a second waits for it.
 */
public final class CheckpointWriter implements AutoCloseable {
  /** A committed checkpoint: what it cost the training loop, and what it cost in the background. */
  public record Committed(long step, Path dir, long bytes, double snapshotMs, double writeMs, boolean planned) {}

  private final FileSystem fs;
  private final Path runDir;
  private final int keepLastSafety;
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "checkpoint-writer");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, float[]> snapshot = new LinkedHashMap<>();
  private CompletableFuture<Committed> inFlight = CompletableFuture.completedFuture(null);

  public CheckpointWriter(FileSystem fs, Path runDir, int keepLastSafety) {
    this.fs = fs;
    this.runDir = runDir;
    this.keepLastSafety = keepLastSafety;
  }

  /**
   * Copies {@code tensors} aside and starts writing them with {@code manifest}; returns when the
   * copy is made. Waits first for the previous write, whose buffers the copy reuses.
   */
  public CompletableFuture<Committed> save(CheckpointManifest manifest, Map<String, float[]> tensors) {
    awaitIdle();
    long t0 = System.nanoTime();
    for (Map.Entry<String, float[]> t : tensors.entrySet()) {
      float[] copy = snapshot.get(t.getKey());
      if (copy == null || copy.length != t.getValue().length) {
        copy = new float[t.getValue().length];
        snapshot.put(t.getKey(), copy);
      }
      System.arraycopy(t.getValue(), 0, copy, 0, copy.length);
    }
    snapshot.keySet().retainAll(tensors.keySet());
    double snapshotMs = (System.nanoTime() - t0) / 1e6;
    inFlight = CompletableFuture.supplyAsync(() -> {
      long w0 = System.nanoTime();
      try {
        Path dir = Checkpoints.write(fs, runDir, manifest, snapshot);
        Checkpoints.prune(fs, runDir, keepLastSafety);
        long bytes = 0;
        for (float[] a : snapshot.values()) bytes += 4L * a.length;
        return new Committed(manifest.getStep(), dir, bytes, snapshotMs, (System.nanoTime() - w0) / 1e6,
            manifest.getPlanned());
      } catch (IOException e) {
        throw new CheckpointWriteException("checkpoint of step " + manifest.getStep() + " was not written ("
            + e.getMessage() + "); nothing of it is visible, the previous checkpoints are intact", e);
      }
    }, thread);
    return inFlight;
  }

  /** Waits until no write is in flight (its outcome goes to whoever holds its future). */
  public void awaitIdle() {
    try {
      inFlight.get();
    } catch (ExecutionException failedAlreadyReported) {
      // the failure went to the future's holder
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for the write in flight, then stops the thread. */
  @Override
  public void close() {
    awaitIdle();
    thread.shutdown();
  }

  /** A write that failed; unchecked so that it travels through the future. */
  public static final class CheckpointWriteException extends RuntimeException {
    CheckpointWriteException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
