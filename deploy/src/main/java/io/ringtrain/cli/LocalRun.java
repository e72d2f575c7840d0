package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.FileSystems;
import io.ringtrain.kernels.Backend;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Backends;
import io.ringtrain.train.Collective;
import io.ringtrain.train.RunReporter;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingData;
import io.ringtrain.train.TrainingDivergedException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A job in this JVM: {@code train} starts one, {@code resume} continues one from a checkpoint. */
final class LocalRun {
  private LocalRun() {}

  static int run(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out) throws IOException {
    Configuration conf = FileSystems.configuration();
    Path runDir = new Path(spec.getOut());
    FileSystem fs = runDir.getFileSystem(conf);
    if (resumeFrom == null) {
      Optional<Path> existing = Checkpoints.latest(fs, runDir);
      if (existing.isPresent()) {
        throw new UserFacingFailure(ExitCodes.BAD_INPUT, "run directory " + runDir + " already holds checkpoint "
            + existing.get().getName() + ": continue it with `ringtrain resume " + runDir + "` or choose another --out");
      }
      fs.mkdirs(runDir);
      try (OutputStream o = fs.create(new Path(runDir, "spec.json"), true)) {
        o.write(JobSpecs.toJson(spec).getBytes(StandardCharsets.UTF_8));
      }
    }
    TrainingPlan plan = TrainingPlan.of(spec);
    out.println(plan.describe());
    try (TrainingData data = TrainingData.open(spec, conf);
         Backend backend = Backends.create(spec.getCluster(), out);
         MetricsLog metrics = MetricsLog.open(fs, runDir, resumeFrom == null ? -1 : resumeFrom.manifest().getStep())) {
      Trainer trainer = new Trainer(spec, backend, Collective.single(), data.train(), data.val(), fs, runDir, resumeFrom);
      if (resumeFrom != null) out.println("resumed from " + resumeFrom.dir() + " at step " + trainer.step());
      RunReporter reporter = new RunReporter(out, metrics, TrainingPlan.flopsPerToken(spec.getModel()),
          spec.getSchedule().getLogInterval());
      try {
        trainer.run(reporter);
      } catch (TrainingDivergedException e) {
        Optional<Path> last = Checkpoints.latest(fs, runDir);
        throw new UserFacingFailure(ExitCodes.FAILED, e.getMessage()
            + (last.isPresent() ? " (last good checkpoint: " + last.get() + ")" : " (no checkpoint was written yet)"));
      }
      out.println("done: " + trainer.step() + " steps, " + trainer.tokensSeen() + " tokens; run directory " + runDir);
    }
    return ExitCodes.OK;
  }
}
