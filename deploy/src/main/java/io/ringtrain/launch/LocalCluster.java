package io.ringtrain.launch;

import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.worker.ChildJvm;
import io.ringtrain.worker.WorkerHosts;
import io.ringtrain.worker.WorkerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The cluster on one machine: one child JVM per worker, each asking for its rank. With
 * {@code cluster.peer_recovery} workers outlive a failed generation and rejoin the next with their
 * state; only the ranks that did not come back get new JVMs. Children never outlive the job: they are destroyed when it ends, on Ctrl-C (a shutdown
 * hook), and they exit by themselves when this JVM dies (their stdin closes).
 */
public final class LocalCluster implements WorkerLauncher {
  private final JobSpec spec;
  private final PrintStream out;
  private final List<Process> all = new CopyOnWriteArrayList<>();
  private final Thread reaper = new Thread(() -> destroy(all, 5), "ringtrain-reaper");
  private final WorkerHosts hosts;
  private final Process[] byRank;

  /** Worker JVMs for {@code spec}, their output copied to {@code out}. */
  public LocalCluster(JobSpec spec, PrintStream out) {
    this(spec, out, WorkerHosts.HERE);
  }

  /** As {@link #LocalCluster(JobSpec, PrintStream)}, rank i started and bound where {@code hosts} says. */
  public LocalCluster(JobSpec spec, PrintStream out, WorkerHosts hosts) {
    this.spec = spec;
    this.hosts = hosts;
    this.out = out;
    this.byRank = new Process[spec.getCluster().getWorkers()];
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  @Override
  public void launch(int generation, List<Integer> ranks, Coordinator coordinator, String jobId, String secret)
      throws IOException {
    // A worker of these ranks still alive stalled, or came back too late: it is replaced.
    destroy(ranks.stream().map(r -> byRank[r]).filter(p -> p != null && p.isAlive()).toList(), 0);
    for (int rank : ranks) {
      Process p = start(spec, hosts, coordinator.port(), jobId, secret, rank, generation);
      byRank[rank] = p;
      all.add(p);
      pump(p, "worker " + rank + " (pid " + p.pid() + ")", out);
      p.onExit().thenAccept(x -> {
        int code = x.exitValue();
        if (code != 0 && code != WorkerMain.EXIT_GENERATION_ENDED) {
          coordinator.workerExited(generation, x.pid(), rank,
              "worker JVM " + x.pid() + " (rank " + rank + ") " + describeExit(code), code == 2);
        }
      });
    }
  }

  @Override
  public void close(boolean jobSucceeded) {
    try {
      for (Process p : byRank) {
        if (p != null) p.waitFor(jobSucceeded ? 30 : 5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    destroy(all, 5);
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it destroys the workers itself
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

  private static Process start(JobSpec spec, WorkerHosts hosts, int port, String jobId, String secret, int rank,
      int attempt) throws IOException {
    List<String> cmd = new ArrayList<>(hosts.commandPrefix(rank));
    cmd.addAll(ChildJvm.command(WorkerMain.class));
    cmd.add("--coordinator");
    cmd.add(spec.getCluster().getCoordinatorHost() + ":" + port);
    cmd.add("--job-id");
    cmd.add(jobId);
    cmd.add("--host");
    cmd.add(hosts.address(rank, spec.getCluster().getCoordinatorHost()));
    cmd.add("--rank");
    cmd.add(Integer.toString(rank));
    cmd.add("--attempt");
    cmd.add(Integer.toString(attempt));
    if (spec.getCluster().getPeerRecovery()) cmd.add("--rejoin");
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

  /** Asks each process to exit, then kills what is left after {@code graceSeconds} (0: kills at once). */
  private static void destroy(List<Process> processes, int graceSeconds) {
    for (Process p : processes) {
      if (graceSeconds == 0) p.destroyForcibly();
      else p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        p.destroyForcibly();
      }
    }
  }
}
