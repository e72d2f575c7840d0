package io.ringtrain.cli;

import com.google.gson.JsonObject;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
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
final class SweepSpeed {
  static final int PROBE_STEPS = 6;

  private SweepSpeed() {}

  /** FLOP/s over the runs' training steps, or NaN when none was recorded. */
  static double measured(FileSystem fs, Collection<SweepRun> finished) throws IOException {
    double flops = 0;
    double seconds = 0;
    for (SweepRun run : finished) {
      Path metrics = new Path(run.spec().getOut(), MetricsLog.FILE);
      double perStep = TrainingPlan.flopsPerToken(run.model()) * run.plan().tokensPerStep();
      for (JsonObject r : MetricsLog.read(fs, metrics)) {
        // The first step warms the JIT up and would make every estimate pessimistic.
        if (!r.get("type").getAsString().equals("train") || r.get("step").getAsLong() == 1) continue;
        flops += perStep;
        seconds += (r.get("compute_ms").getAsDouble() + r.get("allreduce_ms").getAsDouble()) / 1000;
      }
    }
    return seconds > 0 ? flops / seconds : Double.NaN;
  }

  /** Trains the largest run's model for a few steps in {@code dir}, which is deleted afterwards. */
  static double probe(FileSystem fs, List<SweepRun> runs, java.nio.file.Path dir) throws Exception {
    SweepRun largest = runs.stream().max(Comparator.comparingDouble(r -> TrainingPlan.flopsPerToken(r.model())))
        .orElseThrow();
    Path probeDir = new Path(dir.toString());
    fs.delete(probeDir, true);
    JobSpec.Builder b = largest.spec().toBuilder().setName("probe").setOut(probeDir.toString());
    b.getScheduleBuilder().setTokens(0).setSteps(PROBE_STEPS).setEvalInterval(0);
    JobSpec spec = b.build();
    try {
      LocalRun.run(spec, null, new PrintStream(OutputStream.nullOutputStream()));
      return measured(fs, List.of(new SweepRun("probe", spec, TrainingPlan.of(spec))));
    } finally {
      fs.delete(probeDir, true);
    }
  }
}
