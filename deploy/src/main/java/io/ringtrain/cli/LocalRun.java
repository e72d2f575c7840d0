package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.data.FileSystems;
import io.ringtrain.kernels.Backend;
import io.ringtrain.launch.LocalCluster;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
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

/**
 * A job on this machine: in this JVM when it has one worker, as a local cluster of worker JVMs
 * when it has more. {@code train} and {@code simulate} start one; {@code resume} continues one.
 */
final class LocalRun {
  private LocalRun() {}

  static int run(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out) throws Exception {
    Configuration conf = FileSystems.configuration();
    Path runDir = new Path(spec.getOut());
    FileSystem fs = runDir.getFileSystem(conf);
    TrainingData.open(spec, conf).close(); // bad data is reported before anything is written
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
    long keepThroughStep = resumeFrom == null ? -1 : resumeFrom.manifest().getStep();
    try (MetricsLog metrics = MetricsLog.open(fs, runDir, keepThroughStep);
         TensorBoardEvents tensorboard = TensorBoardEvents.open(fs, runDir, keepThroughStep)) {
      RunReporter reporter = new RunReporter(out, metrics, tensorboard, TrainingPlan.flopsPerToken(spec.getModel()),
          spec.getSchedule().getLogInterval());
      if (spec.getCluster().getWorkers() > 1) {
        JobOutcome outcome = LocalCluster.run(spec, resumeFrom != null, reporter, out);
        if (!outcome.ok()) {
          throw new UserFacingFailure(ExitCodes.FAILED, "job stopped: " + outcome.reason() + lastCheckpoint(fs, runDir));
        }
      } else {
        inProcess(spec, resumeFrom, conf, fs, runDir, reporter, out);
      }
    }
    out.println("done: " + plan.steps() + " steps, " + plan.tokens() + " tokens; run directory " + runDir);
    return ExitCodes.OK;
  }

  private static void inProcess(JobSpec spec, Checkpoints.Loaded resumeFrom, Configuration conf, FileSystem fs,
      Path runDir, RunReporter reporter, PrintStream out) throws IOException {
    try (TrainingData data = TrainingData.open(spec, conf);
         Backend backend = Backends.create(spec.getCluster(), out)) {
      Trainer trainer = new Trainer(spec, backend, Collective.single(), data.train(), data.val(), fs, runDir, resumeFrom);
      if (resumeFrom != null) out.println("resumed from " + resumeFrom.dir() + " at step " + trainer.step());
      try {
        trainer.run(reporter);
      } catch (TrainingDivergedException e) {
        throw new UserFacingFailure(ExitCodes.FAILED, e.getMessage() + lastCheckpoint(fs, runDir));
      }
    }
  }

  private static String lastCheckpoint(FileSystem fs, Path runDir) throws IOException {
    Optional<Path> last = Checkpoints.latest(fs, runDir);
    return last.isPresent() ? " (last good checkpoint: " + last.get() + "; `ringtrain resume " + runDir
        + "` continues from it)" : " (no checkpoint was written yet)";
  }
}
