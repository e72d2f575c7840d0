package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.kernels.Backend;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.model.GptModel;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Backends;
import io.ringtrain.train.Trainer;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A model with a checkpoint's parameters, for eval, sample and export. */
record LoadedModel(JobSpec spec, GptModel model, Backend backend) implements AutoCloseable {
  /** {@code dir} is a checkpoint directory, or a run directory (its newest intact checkpoint). */
  static LoadedModel load(String dir, int threads) throws IOException {
    return load(dir, threads, new BackendOptions());
  }

  /** As {@link #load(String, int)}, on the backend the options choose (the default when they choose none, not the run's). */
  static LoadedModel load(String dir, int threads, BackendOptions backendOptions) throws IOException {
    if (threads > JobSpecs.MAX_THREADS) {
      throw new IllegalArgumentException("--threads=" + threads + " is outside 1.." + JobSpecs.MAX_THREADS);
    }
    Configuration conf = HadoopConf.configuration();
    Path p = new Path(dir);
    FileSystem fs = p.getFileSystem(conf);
    Checkpoints.Loaded c = fs.exists(new Path(p, Checkpoints.MANIFEST)) ? Checkpoints.load(fs, p)
        : newestOfRun(fs, p);
    JobSpec spec = c.manifest().getSpec();
    Backend backend = Backends.create(backendOptions.apply(
        spec.getCluster().toBuilder().setBackend(JobSpecs.DEFAULT_BACKEND).setThreads(threads).build()), System.err);
    GptModel model = new GptModel(Trainer.config(spec.getModel()), backend);
    float[] params = c.tensors().get("params");
    if (params == null || params.length != model.params().length) {
      backend.close();
      throw new IllegalArgumentException(c.dir() + " does not hold this model's " + model.params().length + " parameters");
    }
    System.arraycopy(params, 0, model.params(), 0, params.length);
    model.paramsWritten();
    return new LoadedModel(spec, model, backend);
  }

  /** A run directory's newest intact checkpoint of its own, saying which one when it is not the newest. */
  private static Checkpoints.Loaded newestOfRun(FileSystem fs, Path run) throws IOException {
    JobSpec spec = ResumeCommand.runSpec(fs, run);
    boolean[] skipped = {false};
    Checkpoints.Loaded c = Checkpoints.newestIntact(fs, run, spec, why -> {
      skipped[0] = true;
      System.err.println("skipping damaged checkpoint: " + why);
    }).orElseThrow(() -> new UserFacingFailure(ExitCodes.BAD_INPUT, run + " holds no intact checkpoint of its own"));
    if (skipped[0]) System.err.println("using " + c.dir() + " (step " + c.manifest().getStep() + ")");
    return c;
  }

  @Override
  public void close() {
    backend.close();
  }
}
