package io.ringtrain.launch;

import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.Hmac;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.coordinator.StepSummary;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.train.RunReporter;
import io.ringtrain.worker.WorkerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The cluster on one machine: this JVM hosts the coordinator and starts one child JVM per worker.
 * Children never outlive the job: they are destroyed when it fails, on Ctrl-C (a shutdown hook),
 * and they stop by themselves when the coordinator goes silent.
 */
public final class LocalCluster {
  private LocalCluster() {}

  /** Runs the job with {@code spec.cluster.workers} worker processes; returns the exit code. */
  public static JobOutcome run(JobSpec spec, boolean resume, RunReporter reporter, PrintStream out)
      throws IOException, InterruptedException {
    int world = spec.getCluster().getWorkers();
    String jobId = spec.getName() + "-" + Long.toHexString(System.nanoTime());
    String secret = spec.getCluster().getSecret().isEmpty() ? Hmac.newSecret() : spec.getCluster().getSecret();
    JobListener listener = new JobListener() {
      @Override
      public void onStep(StepSummary s) {
        try {
          reporter.step(s.step(), s.totalSteps(), s.loss(), s.lr(), s.gradNorm(), s.tokens(), s.tokensSeen(),
              s.maxComputeMs(), s.maxAllreduceMs());
        } catch (IOException e) {
          out.println("cannot write metrics: " + e.getMessage());
        }
      }

      @Override
      public void onEval(EvalReport r) {
        try {
          reporter.onEval(r.getStep(), r.getTokens(), r.getValLoss());
        } catch (IOException e) {
          out.println("cannot write metrics: " + e.getMessage());
        }
      }

      @Override
      public void onCheckpoint(CheckpointReport r) {
        reporter.onCheckpoint(r.getStep(), new org.apache.hadoop.fs.Path(r.getPath()));
      }
    };
    List<Process> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread reaper = new Thread(() -> destroy(workers), "ringtrain-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
    try (Coordinator coordinator = new Coordinator(spec, jobId, secret, spec.getCluster().getCoordinatorHost(),
        spec.getCluster().getCoordinatorPort(), 120_000, listener)) {
      out.println("coordinator on " + spec.getCluster().getCoordinatorHost() + ":" + coordinator.port() + ", starting "
          + world + " worker JVMs (" + spec.getCluster().getThreads() + " threads each)");
      for (int i = 0; i < world; i++) {
        Process p = start(spec, coordinator.port(), jobId, secret, resume);
        workers.add(p);
        pump(p, "worker " + i + " (pid " + p.pid() + ")", out);
        // A worker that dies before joining never reaches the coordinator: end the rendezvous at once.
        p.onExit().thenAccept(x -> {
          if (x.exitValue() != 0) coordinator.stop(1, "worker JVM " + x.pid() + " " + describeExit(x.exitValue()));
        });
      }
      JobOutcome outcome = coordinator.outcome().get();
      if (outcome.ok()) {
        for (Process p : workers) p.waitFor(30, TimeUnit.SECONDS);
      } else {
        for (Process p : workers) p.waitFor(5, TimeUnit.SECONDS); // let them print why
      }
      return outcome;
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    } finally {
      destroy(workers);
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it destroys the workers itself
      }
    }
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

  private static Process start(JobSpec spec, int port, String jobId, String secret, boolean resume) throws IOException {
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
    if (resume) cmd.add("--resume");
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

  private static void destroy(List<Process> workers) {
    for (Process p : workers) p.destroy();
    for (Process p : workers) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
  }
}
