package io.ringtrain.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.launch.spark.MiniYarn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * bench/compare-submit.sh's YARN row: starts a MiniYARNCluster, then runs `submit --master spark`
 * with the given job flags through spark-submit in YARN's cluster mode (executors of one core),
 * with Spark's event log on. Prints, in ms since the epoch, when each phase ended: "submit" (just
 * before spark-submit's JVM starts), "accepted" (the ResourceManager has the application),
 * "am_launched" (its ApplicationMaster's container), "spark_context" (the driver's SparkContext),
 * "executors" (the last executor registered), "tasks" (the last barrier task of the first
 * generation launched). On failure: every container's output, exit status 1.
 *
 * <p>Usage: MiniYarnSubmitBench WORK_DIR EXECUTOR_MEMORY EXECUTORS JOB_FLAGS...
 */
public final class MiniYarnSubmitBench {
  private MiniYarnSubmitBench() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    String memory = args[1];
    int executors = Integer.parseInt(args[2]);
    Path events = Files.createDirectories(work.resolve("spark-events"));
    try (MiniYarn yarn = new MiniYarn(work)) {
      List<String> submit = MiniYarnSubmitTest.submitCommand(executors, memory, work, List.of(
          "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri(),
          "--conf", "spark.eventLog.compress=false"));
      submit.addAll(Arrays.asList(args).subList(3, args.length));
      Path log = work.resolve("spark-submit.log");
      long start = System.currentTimeMillis();
      int exit = yarn.submitInClusterMode(log, 900, submit);
      if (exit != 0) {
        System.err.println("spark-submit exited with " + exit + ":\n" + MiniYarn.tail(log) + "\n"
            + yarn.applicationReports() + yarn.containerOutput(""));
        System.exit(1);
      }
      System.out.println("submit " + start);
      System.out.print(yarn.applicationTimes());
      printSparkTimes(events);
    }
  }

  /** From the event log: the SparkContext's start, the last executor added, the first job's last task launched. */
  private static void printSparkTimes(Path events) throws IOException {
    long context = 0;
    long executor = 0;
    long task = 0;
    int firstStage = -1;
    try (Stream<Path> files = Files.walk(events)) {
      for (Path file : files.filter(p -> p.getFileName().toString().startsWith("events_")).sorted().toList()) {
        for (String line : Files.readAllLines(file)) {
          JsonObject e = JsonParser.parseString(line).getAsJsonObject();
          switch (e.get("Event").getAsString()) {
            case "SparkListenerApplicationStart" -> context = e.get("Timestamp").getAsLong();
            case "SparkListenerExecutorAdded" -> executor = Math.max(executor, e.get("Timestamp").getAsLong());
            case "SparkListenerTaskStart" -> {
              int stage = e.get("Stage ID").getAsInt();
              if (firstStage < 0) firstStage = stage;
              if (stage == firstStage) task = Math.max(task, e.getAsJsonObject("Task Info").get("Launch Time").getAsLong());
            }
            default -> { }
          }
        }
      }
    }
    System.out.println("spark_context " + context);
    System.out.println("executors " + executor);
    System.out.println("tasks " + task);
  }
}
