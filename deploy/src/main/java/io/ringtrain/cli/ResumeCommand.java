package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.CorruptCheckpointException;
import io.ringtrain.data.FileSystems;
import io.ringtrain.proto.JobSpec;
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

  @Override
  public Integer call() throws Exception {
    Configuration conf = FileSystems.configuration();
    Path run = new Path(runDir);
    FileSystem fs = run.getFileSystem(conf);
    Checkpoints.Loaded ckpt = newestIntact(fs, run);
    JobSpec spec = ckpt.manifest().getSpec().toBuilder().setOut(runDir).build();
    if (threads != null) spec = spec.toBuilder().setCluster(spec.getCluster().toBuilder().setThreads(threads)).build();
    spec = spec.toBuilder().setCluster(backendOptions.apply(spec.getCluster())).build();
    return LocalRun.run(spec, ckpt, System.out);
  }

  /** The newest checkpoint that verifies; damaged ones are reported and skipped, never used. */
  static Checkpoints.Loaded newestIntact(FileSystem fs, Path run) throws java.io.IOException {
    java.util.List<Path> all = Checkpoints.complete(fs, run);
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        return Checkpoints.load(fs, all.get(i));
      } catch (CorruptCheckpointException e) {
        System.err.println("resume: skipping damaged checkpoint: " + e.getMessage());
      }
    }
    throw new UserFacingFailure(ExitCodes.BAD_INPUT, run + " holds no intact checkpoint: start the job again with"
        + " `ringtrain train`");
  }
}
