package io.ringtrain.bench;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.metrics.Stats;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.proto.CheckpointManifest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoint speed for a model's state (parameters and both AdamW moments), on any Hadoop
 * FileSystem: what a synchronous write stalls training for (the old design), what the in-memory
 * snapshot of the background writer stalls it for (the new one), and save and load MB/s.
 */
public final class CheckpointBench {
  private CheckpointBench() {}

  public record Result(String model, String dir, long bytes, double snapshotMs, double saveMs, double loadMs) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "model %s, %.1f MB of state on %s: save %.0f MB/s (%.0f ms: the stall of a"
              + " synchronous write), load %.0f MB/s (%.0f ms), background writer's stall %.1f ms (the snapshot)",
          model, bytes / 1e6, dir, bytes / 1e3 / saveMs, saveMs, bytes / 1e3 / loadMs, loadMs, snapshotMs);
    }

    public String toJson() {
      return String.format(Locale.ROOT, "{\"model\":\"%s\",\"dir\":\"%s\",\"bytes\":%d,\"save_ms\":%.1f,"
          + "\"save_mb_per_s\":%.1f,\"load_ms\":%.1f,\"load_mb_per_s\":%.1f,\"snapshot_ms\":%.2f}", model, dir, bytes,
          saveMs, bytes / 1e3 / saveMs, loadMs, bytes / 1e3 / loadMs, snapshotMs);
    }
  }

  /** The median of {@code repeats} saves, loads and snapshots of {@code model}'s state under {@code dir}. */
  public static Result run(String model, String dir, int repeats) throws IOException {
    TrainStepBench.Shape shape = TrainStepBench.shape(model);
    int n = new ParameterLayout(shape.config()).numParams();
    Map<String, float[]> state = new LinkedHashMap<>();
    SplittableRandom random = new SplittableRandom(1);
    for (String name : new String[] {"params", "adam_m", "adam_v"}) {
      float[] a = new float[n];
      for (int i = 0; i < n; i++) a[i] = (float) random.nextGaussian();
      state.put(name, a);
    }
    Path runDir = new Path(dir);
    FileSystem fs = runDir.getFileSystem(HadoopConf.configuration());
    double[] save = new double[repeats];
    double[] load = new double[repeats];
    double[] snapshot = new double[repeats];
    try (CheckpointWriter writer = new CheckpointWriter(fs, runDir, 1)) {
      for (int r = 0; r < repeats; r++) {
        CheckpointManifest m = CheckpointManifest.newBuilder().setStep(r + 1).setPlanned(false).build();
        long t0 = System.nanoTime();
        Path written = Checkpoints.write(fs, runDir, m, state);
        save[r] = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        Checkpoints.load(fs, written);
        load[r] = (System.nanoTime() - t1) / 1e6;
        fs.delete(written, true);
        snapshot[r] = writer.save(m, state).join().snapshotMs();
        writer.awaitIdle();
        fs.delete(written, true);
      }
    }
    return new Result(shape.name(), dir, 12L * n, Stats.median(snapshot), Stats.median(save), Stats.median(load));
  }
}
