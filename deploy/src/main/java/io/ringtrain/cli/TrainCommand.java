package io.ringtrain.cli;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ringtrain train}: a whole job in this JVM. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a GPT model in this JVM. Prints the plan (parameters, Chinchilla token budget, steps, FLOPs),",
      "then a progress line per log interval; writes spec.json, metrics.jsonl and checkpoints/<step>/ to --out."
    })
public final class TrainCommand implements Callable<Integer> {
  @Mixin JobSpecOptions job;

  @Mixin MetricsOptions metrics;

  @Override
  public Integer call() throws Exception {
    JobSpec spec = job.resolve(HadoopConf.configuration());
    int workers = spec.getCluster().getWorkers();
    if (workers > 1) {
      // One JVM, same global batch: each of the spec's workers becomes a micro-batch of accumulation.
      System.out.println("train: one JVM for a spec of " + workers + " workers: accumulating " + workers
          + " micro-batches per step instead");
      spec = JobSpecs.inOneProcess(spec);
    }
    return TrainingJob.run(spec, null, System.out, metrics);
  }
}
