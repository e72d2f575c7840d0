package io.ringtrain.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ringtrain} command: one entry point, a subcommand per job. */
@Command(
    name = "ringtrain",
    mixinStandardHelpOptions = true,
    version = "ringtrain 0.1.0",
    description = "Data-parallel GPT training on the JVM.",
    subcommands = {CommandLine.HelpCommand.class})
public final class RingtrainCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new RingtrainCommand()).execute(args));
  }
}
