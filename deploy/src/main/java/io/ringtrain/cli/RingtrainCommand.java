package io.ringtrain.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ringtrain} command: one entry point, a subcommand per job. */
@Command(
    name = "ringtrain",
    mixinStandardHelpOptions = true,
    version = "ringtrain 0.1.0",
    description = "Data-parallel GPT training on the JVM.",
    subcommands = {
      TokenizeCommand.class,
      TrainCommand.class,
      SimulateCommand.class,
      ResumeCommand.class,
      EvalCommand.class,
      SampleCommand.class,
      ExportCommand.class,
      DemoCommand.class,
      PlotCommand.class,
      FitCommand.class,
      SweepCommand.class,
      BenchCommand.class,
      DevicesCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {"", "Exit codes: 0 done, 1 the work failed, 2 bad request or input, 3 environment (I/O), 130 interrupted."})
public final class RingtrainCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The command line with ringtrain's error handling, for main and for tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new RingtrainCommand()).setExecutionExceptionHandler(new ErrorReporter());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
