package io.ringtrain.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ringtrain bench}: the figures of bench/README.md, one subcommand each. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure what bench/README.md reports.",
    subcommands = {BenchTokenizerCommand.class, BenchTrainCommand.class, BenchKernelsCommand.class, BenchMatmulCommand.class,
        BenchAllReduceCommand.class, BenchCheckpointCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
