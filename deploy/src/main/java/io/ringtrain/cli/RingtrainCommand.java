package io.ringtrain.cli;

import java.util.ArrayList;
import java.util.List;
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
      SubmitCommand.class,
      ResumeCommand.class,
      CheckpointsCommand.class,
      EvalCommand.class,
      SampleCommand.class,
      ExportCommand.class,
      DemoCommand.class,
      PlotCommand.class,
      FitCommand.class,
      SweepCommand.class,
      BenchCommand.class,
      DevicesCommand.class,
      EstimateCommand.class,
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
    CommandLine cmd = new CommandLine(new RingtrainCommand())
        .setExecutionExceptionHandler(new ErrorReporter());
    reflow(cmd);
    return cmd.setUsageHelpAutoWidth(true);
  }

  /**
   * Joins the source lines of every command's description into paragraphs: picocli wraps each
   * element of a description on its own, so a source line longer than the terminal left a short
   * remnant line in the middle of a sentence.
   */
  static void reflow(CommandLine cmd) {
    CommandLine.Model.UsageMessageSpec usage = cmd.getCommandSpec().usageMessage();
    usage.description(paragraphs(usage.description()));
    cmd.getSubcommands().values().forEach(RingtrainCommand::reflow);
  }

  /** A line continues the previous one unless either is empty or it starts a list item or indent. */
  static String[] paragraphs(String[] lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      int last = out.size() - 1;
      boolean continues = last >= 0 && !out.get(last).isEmpty() && !line.isEmpty()
          && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("-")
          && !line.startsWith("*");
      if (continues) {
        out.set(last, out.get(last) + " " + line);
      } else {
        out.add(line);
      }
    }
    return out.toArray(String[]::new);
  }

  public static void main(String[] args) {
    int code = commandLine().execute(args);
    if (insideYarnApplicationMaster()) {
      // The ApplicationMaster runs this main in a thread of its own and reports the application's
      // final status when it returns; System.exit (even exit 0) would reach its shutdown hook
      // first, which reports FAILED ("Shutdown hook called before final status was reported").
      // A thrown exception is reported as FAILED with its message; the AM exits the JVM itself.
      if (code != 0) throw new IllegalStateException("ringtrain " + (args.length == 0 ? "" : args[0] + " ")
          + "exited with status " + code + " (its error is above in the driver's log)");
      return;
    }
    System.exit(code);
  }

  /**
   * True in YARN's cluster mode, where this main is the user class of Spark's ApplicationMaster:
   * the AM sets these system properties before it starts the user class.
   */
  static boolean insideYarnApplicationMaster() {
    return "cluster".equals(System.getProperty("spark.submit.deployMode"))
        && System.getProperty("spark.yarn.app.id") != null;
  }
}
