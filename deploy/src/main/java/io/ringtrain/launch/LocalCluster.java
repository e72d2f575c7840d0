package io.ringtrain.launch;

import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.Hmac;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.coordinator.RestorePoints;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.worker.WorkerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The cluster on one machine: this JVM hosts the coordinator and starts one child JVM per worker,
 * each asking for its rank. When the coordinator ends a generation (a worker died, stalled or
 * gave up), what is left of it is stopped and a new set of workers is started, which restores the
 * newest intact checkpoint. Children never outlive the job: they are destroyed when it ends, on
 * Ctrl-C (a shutdown hook), and they exit by themselves when this JVM dies (their stdin closes).
 */
public final class LocalCluster {
  private LocalCluster() {}

  /** A generation's worker processes. */
  private record Generation(int number, List<Process> processes) {}

  /** What the launcher's loop waits for: the job's end, or a generation to replace. */
  private record Restart(int failedGeneration, long backoffMs) {}

  /**
   * Runs the job with {@code spec.cluster.workers} worker processes until it ends; each generation
   * restores what {@code restorePoints} chooses.
   */
  public static JobOutcome run(JobSpec spec, RestorePoints restorePoints, JobListener reporting, PrintStream out)
      throws IOException, InterruptedException {
    int world = spec.getCluster().getWorkers();
    String jobId = spec.getName() + "-" + Long.toHexString(System.nanoTime());
    String secret = spec.getCluster().getSecret().isEmpty() ? Hmac.newSecret() : spec.getCluster().getSecret();
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    JobListener launcher = new JobListener() {
      @Override
      public void onGenerationFailed(int generation, String cause, long backoffMs) {
        events.add(new Restart(generation, backoffMs));
      }

      @Override
      public void onEnd(JobOutcome outcome) {
        events.add(outcome);
      }
    };
    JobListener listener = JobListener.inOrder(reporting, launcher);
    List<Process> all = new CopyOnWriteArrayList<>();
    Thread reaper = new Thread(() -> destroy(all, 5), "ringtrain-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    try (Coordinator coordinator = new Coordinator(spec, jobId, secret, spec.getCluster().getCoordinatorHost(),
        spec.getCluster().getCoordinatorPort(), 120_000, restorePoints, listener)) {
      out.println("coordinator on " + spec.getCluster().getCoordinatorHost() + ":" + coordinator.port() + ", starting "
          + world + " worker JVMs (" + spec.getCluster().getThreads() + " threads each)");
      Generation current = launch(0, spec, coordinator, jobId, secret, out, all);
      while (true) {
        Object event = events.take();
        if (event instanceof JobOutcome outcome) {
          for (Process p : current.processes()) p.waitFor(outcome.ok() ? 30 : 5, TimeUnit.SECONDS);
          return outcome;
        }
        Restart r = (Restart) event;
        destroy(current.processes(), 2); // the survivors were told to leave; a stopped one is killed
        Thread.sleep(r.backoffMs());
        current = launch(r.failedGeneration() + 1, spec, coordinator, jobId, secret, out, all);
      }
    } finally {
      destroy(all, 5);
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it destroys the workers itself
      }
    }
  }

  private static Generation launch(int generation, JobSpec spec, Coordinator coordinator, String jobId, String secret,
      PrintStream out, List<Process> all) throws IOException {
    List<Process> processes = new ArrayList<>();
    for (int rank = 0; rank < spec.getCluster().getWorkers(); rank++) {
      Process p = start(spec, coordinator.port(), jobId, secret, rank, generation);
      processes.add(p);
      all.add(p);
      pump(p, "worker " + rank + " (pid " + p.pid() + ")", out);
      int r = rank;
      p.onExit().thenAccept(x -> {
        int code = x.exitValue();
        if (code != 0 && code != WorkerMain.EXIT_GENERATION_ENDED) {
          coordinator.workerExited(generation, "worker JVM " + x.pid() + " (rank " + r + ") " + describeExit(code),
              code == 2);
        }
      });
    }
    return new Generation(generation, processes);
  }

  /** Exit codes above 128 are deaths by signal, as shells report them. */
  static String describeExit(int code) {
    return switch (code) {
      case 137 -> "was killed (SIGKILL, exit code 137)";
      case 143 -> "was terminated (SIGTERM, exit code 143)";
      case 134 -> "aborted (SIGABRT, exit code 134)";
      default -> code > 128 ? "died from signal " + (code - 128) + " (exit code " + code + ")"
          : "exited with code " + code;
    };
  }

  private static Process start(JobSpec spec, int port, String jobId, String secret, int rank, int attempt)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.add("-XX:+UseParallelGC");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(WorkerMain.class.getName());
    cmd.add("--coordinator");
    cmd.add(spec.getCluster().getCoordinatorHost() + ":" + port);
    cmd.add("--job-id");
    cmd.add(jobId);
    cmd.add("--host");
    cmd.add(spec.getCluster().getCoordinatorHost());
    cmd.add("--rank");
    cmd.add(Integer.toString(rank));
    cmd.add("--attempt");
    cmd.add(Integer.toString(attempt));
    cmd.add("--exit-with-parent");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("RINGTRAIN_SECRET", secret);
    return pb.start();
  }

  /** Copies a worker's output, prefixed, so that N workers read as one stream. */
  private static void pump(Process p, String name, PrintStream out) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("WARNING: Using incubator modules")) continue;
          out.println("[" + name + "] " + line);
        }
      } catch (IOException ignored) {
        // the worker is gone; its exit is reported by the coordinator
      }
    }, "pump-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** Asks each process to exit, then kills what is left after {@code graceSeconds}. */
  private static void destroy(List<Process> processes, int graceSeconds) {
    for (Process p : processes) p.destroy();
    for (Process p : processes) {
      try {
        if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
  }
}
