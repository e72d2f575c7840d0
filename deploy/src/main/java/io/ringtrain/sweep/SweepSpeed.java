package io.ringtrain.sweep;

import com.google.gson.JsonObject;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import java.io.IOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The training speed that run times are estimated from, in FLOP/s (attention included): FLOPs per
 * token stay the one model-dependent factor, so one figure serves every size. Measured on the
 * sweep's finished runs when it has some, else by a probe: a few steps of its largest model.
 */
public final class SweepSpeed {
  public static final int PROBE_STEPS = 20;

  private SweepSpeed() {}

  /** How the probe's job is trained: the command's own way of running a job (quietly). */
  @FunctionalInterface
  public interface JobRunner {
    void run(JobSpec spec) throws Exception;
  }

  /**
   * FLOP/s over the runs' wall-clock time, from spec.json (written as a run starts) to
   * metrics.jsonl's last write: data loading, evaluation and checkpoints count, as they do in the
   * runs to come. NaN when no time was recorded.
   */
  public static double measured(FileSystem fs, Collection<SweepRun> finished) throws IOException {
    double flops = 0;
    double seconds = 0;
    for (SweepRun run : finished) {
      Path dir = new Path(run.spec().getOut());
      long start = fs.getFileStatus(new Path(dir, "spec.json")).getModificationTime();
      long end = fs.getFileStatus(new Path(dir, MetricsLog.FILE)).getModificationTime();
      flops += TrainingPlan.flopsPerToken(run.model()) * run.plan().tokens();
      seconds += Math.max(0, end - start) / 1000.0;
    }
    return seconds > 0 ? flops / seconds : Double.NaN;
  }

  /**
   * Trains the largest run's model for a few steps in {@code dir}, deleted afterwards, and rates
   * it by the compute and all-reduce time of its second half of steps: whole-probe wall time
   * would be mostly JVM and JIT warm-up, several times slower than a run's steady state.
   */
  public static double probe(FileSystem fs, List<SweepRun> runs, java.nio.file.Path dir, JobRunner train)
      throws Exception {
    SweepRun largest = runs.stream().max(Comparator.comparingDouble(r -> TrainingPlan.flopsPerToken(r.model())))
        .orElseThrow();
    Path probeDir = new Path(dir.toString());
    fs.delete(probeDir, true);
    JobSpec.Builder b = largest.spec().toBuilder().setName("probe").setOut(probeDir.toString());
    b.getScheduleBuilder().setTokens(0).setSteps(PROBE_STEPS).setEvalInterval(0);
    JobSpec spec = b.build();
    try {
      train.run(spec);
      double seconds = 0;
      int steps = 0;
      for (JsonObject r : MetricsLog.read(fs, new Path(probeDir, MetricsLog.FILE))) {
        if (!r.get("type").getAsString().equals("train") || r.get("step").getAsLong() <= PROBE_STEPS / 2) continue;
        seconds += (r.get("compute_ms").getAsDouble() + r.get("allreduce_ms").getAsDouble()) / 1000;
        steps++;
      }
      double flops = steps * TrainingPlan.flopsPerToken(spec.getModel()) * largest.plan().tokensPerStep();
      return seconds > 0 ? flops / seconds : Double.NaN;
    } finally {
      fs.delete(probeDir, true);
    }
  }
}
