package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ringtrain resume}: continue a run from its last complete checkpoint. */
@Command(
    name = "resume",
    mixinStandardHelpOptions = true,
    description = {
      "Continue a run from its last complete checkpoint. With the same thread count, every later step's loss",
      "is exactly the uninterrupted run's."
    })
public final class ResumeCommand implements Callable<Integer> {
  @Parameters(paramLabel = "RUN_DIR", description = "The run directory (holding checkpoints/).")
  String runDir;

  @Option(names = "--threads", description = "Compute threads (default: the run's; others change the last bits).")
  Integer threads;

  @Mixin BackendOptions backendOptions;

  @Mixin MetricsOptions metrics;

  @Override
  public Integer call() throws Exception {
    Configuration conf = HadoopConf.configuration();
    Path run = new Path(runDir);
    FileSystem fs = run.getFileSystem(conf);
    if (Checkpoints.numbered(fs, run).isEmpty()) throw noCheckpoint(run);
    JobSpec spec = runSpec(fs, run).toBuilder().setOut(runDir).build();
    // Chosen once and verified here: the trainer in this JVM starts from its tensors, worker JVMs read it themselves.
    Checkpoints.Loaded ckpt = TrainingJob.newestIntact(fs, run, spec, Long.MAX_VALUE, System.out).orElseThrow(() -> noCheckpoint(run));
    System.out.println("resuming from " + ckpt.dir() + " (step " + ckpt.manifest().getStep() + ")");
    if (threads != null) spec = spec.toBuilder().setCluster(spec.getCluster().toBuilder().setThreads(threads)).build();
    spec = spec.toBuilder().setCluster(backendOptions.apply(spec.getCluster())).build();
    // Worker JVMs read it themselves: this one need not hold the tensors for the whole job.
    if (TrainingJob.inWorkerJvms(spec)) ckpt = ckpt.withoutTensors();
    return TrainingJob.run(spec, ckpt, System.out, metrics);
  }

  private static UserFacingFailure noCheckpoint(Path run) {
    return new UserFacingFailure(ExitCodes.BAD_INPUT, run + " holds no intact checkpoint of its own: start the job"
        + " again with `ringtrain train`");
  }

  /** The spec the run started with ({@code spec.json}): its identity and its shape. */
  static JobSpec runSpec(FileSystem fs, Path run) throws IOException {
    Path file = new Path(run, TrainingJob.SPEC_FILE);
    if (!fs.exists(file)) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, run + " has no " + TrainingJob.SPEC_FILE
          + ": it is not a ringtrain run directory (give the directory `train --out` wrote)");
    }
    try (InputStream in = fs.open(file)) {
      return JobSpecs.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), true, file.toString());
    }
  }
}
