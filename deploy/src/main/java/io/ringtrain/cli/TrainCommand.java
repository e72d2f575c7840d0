package io.ringtrain.cli;

import io.ringtrain.data.FileSystems;
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

  @Override
  public Integer call() throws Exception {
    return LocalRun.run(job.resolve(FileSystems.configuration()), null, System.out);
  }
}
