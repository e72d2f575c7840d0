package io.ringtrain.cli;

import io.ringtrain.bench.CheckpointBench;
import io.ringtrain.launch.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain bench checkpoint}: save and load MB/s, and the training stall per checkpoint. */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = {
      "Write and read a model's full state (parameters and both AdamW moments) as a checkpoint on any Hadoop",
      "FileSystem, --repeats times; print the medians: save and load MB/s, the stall of a synchronous write, and",
      "the stall of the background writer (its in-memory snapshot). Models as in `bench train` (S, M, L)."
    })
public final class BenchCheckpointCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "M", description = "S, M or L (default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--dir", required = true, description = "Where to write (a local path or hdfs://...); cleaned up after.")
  String dir;

  @Option(names = "--repeats", defaultValue = "5", description = "Saves and loads to take the median of (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (repeats < 1) throw new IllegalArgumentException("--repeats=" + repeats + " must be >= 1");
    CheckpointBench.Result r = CheckpointBench.run(model, dir, repeats);
    System.out.println(json ? r.toJson() : r.toString());
    return ExitCodes.OK;
  }
}
