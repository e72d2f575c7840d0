package io.ringtrain.sweep;

import com.google.gson.JsonObject;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.apache.hadoop.fs.FileSystem;

/** What a sweep's run directories say: which runs are finished, their losses, and results.csv. */
public final class SweepResults {
  public static final String HEADER = "name,params,non_embedding_params,tokens,flops,loss,layers,heads,width,budget";

  private SweepResults() {}

  /**
   * The final validation loss of a finished run: its spec.json is the planned spec, metrics.jsonl
   * has a validation record at the last step, and the last step's checkpoint is complete. Anything
   * less is unfinished (empty).
   */
  public static OptionalDouble finalLoss(FileSystem fs, SweepRun run) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(run.spec().getOut());
    org.apache.hadoop.fs.Path specFile = new org.apache.hadoop.fs.Path(dir, "spec.json");
    org.apache.hadoop.fs.Path metrics = new org.apache.hadoop.fs.Path(dir, MetricsLog.FILE);
    if (!fs.exists(specFile) || !fs.exists(metrics)) return OptionalDouble.empty();
    JobSpec stored;
    try (var in = fs.open(specFile)) {
      stored = JobSpecs.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), true, specFile.toString());
    }
    // The run's own id is the one field a run adds to its planned spec.
    if (!stored.toBuilder().clearRunId().build().equals(JobSpecs.withoutSecret(run.spec()))) {
      return OptionalDouble.empty();
    }
    Optional<org.apache.hadoop.fs.Path> last = Checkpoints.latest(fs, dir);
    if (last.isEmpty() || !last.get().getName().equals(Long.toString(run.plan().steps()))) {
      return OptionalDouble.empty();
    }
    OptionalDouble loss = OptionalDouble.empty();
    for (JsonObject r : MetricsLog.read(fs, metrics)) {
      if (r.get("type").getAsString().equals("val") && r.get("step").getAsLong() == run.plan().steps()) {
        loss = OptionalDouble.of(r.get("val_loss").getAsDouble());
      }
    }
    return loss;
  }

  /** Rewrites results.csv with the finished runs, atomically: a reader sees the old file or the new. */
  public static void write(Path csv, List<SweepRun> runs, Map<String, Double> losses) throws IOException {
    StringBuilder s = new StringBuilder(HEADER).append('\n');
    for (SweepRun run : runs) {
      Double loss = losses.get(run.name());
      if (loss == null) continue;
      s.append(String.join(",", run.name(), Long.toString(run.plan().params()),
          Long.toString(run.plan().nonEmbeddingParams()), Long.toString(run.plan().tokens()),
          Double.toString(run.flops()), Double.toString(loss), Integer.toString(run.model().getNLayer()),
          Integer.toString(run.model().getNHead()), Integer.toString(run.model().getNEmbd()), Double.toString(run.budget()))).append('\n');
    }
    Files.createDirectories(csv.toAbsolutePath().getParent());
    Path tmp = csv.resolveSibling("." + csv.getFileName() + ".tmp");
    Files.writeString(tmp, s, StandardCharsets.UTF_8);
    Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
