package io.ringtrain.worker;

import io.ringtrain.coordinator.Coordinator;
import java.io.IOException;
import java.io.InputStream;

/**
 * A worker process: argv and the environment into a {@link WorkerContext}, then {@link Worker}.
 * The job secret comes from the environment (RINGTRAIN_SECRET), never the command line, where
 * other users could read it.
 *
 * <p>Usage: {@code WorkerMain --coordinator HOST:PORT --job-id ID [--host RING_HOST] [--rank R]
 * [--attempt A] [--rejoin] [--exit-with-parent]}. With {@code --rejoin} it outlives a failed generation
 * and joins the next with the state it holds. With {@code --exit-with-parent} the worker exits as soon
 * as its standard input closes, which is when the launcher that started it is gone, however it died.
 *
 * <p>Exit codes: 0 done, 1 the job failed (a peer died, the loss diverged), 2 bad arguments or a
 * refused worker, 75 (EX_TEMPFAIL) its generation ended and the job goes on without it.
 */
public final class WorkerMain {
  public static final int EXIT_GENERATION_ENDED = Coordinator.GENERATION_ENDED;

  private WorkerMain() {}

  public static void main(String[] args) {
    String coordinator = null;
    String jobId = null;
    String host = "127.0.0.1";
    int rank = -1;
    int attempt = 0;
    boolean exitWithParent = false;
    boolean rejoin = false;
    try {
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--coordinator" -> coordinator = args[++i];
          case "--job-id" -> jobId = args[++i];
          case "--host" -> host = args[++i];
          case "--rank" -> rank = Integer.parseInt(args[++i]);
          case "--attempt" -> attempt = Integer.parseInt(args[++i]);
          case "--rejoin" -> rejoin = true;
          case "--exit-with-parent" -> exitWithParent = true;
          default -> fail(2, "unknown argument " + args[i]);
        }
      }
    } catch (RuntimeException e) {
      fail(2, "bad arguments: " + e.getMessage());
    }
    String secret = System.getenv("RINGTRAIN_SECRET");
    if (coordinator == null || jobId == null || secret == null || coordinator.lastIndexOf(':') < 0) {
      fail(2, "usage: WorkerMain --coordinator HOST:PORT --job-id ID [--host H] [--rank R] [--attempt A]"
          + " [--rejoin] [--exit-with-parent], with RINGTRAIN_SECRET set");
    }
    if (exitWithParent) exitWhenStdinCloses();
    int colon = coordinator.lastIndexOf(':');
    try {
      System.exit(Worker.run(new WorkerContext(rank, attempt, coordinator.substring(0, colon),
          Integer.parseInt(coordinator.substring(colon + 1)), jobId, secret, host, rejoin)));
    } catch (JobStoppedException e) {
      fail(e.restart() ? EXIT_GENERATION_ENDED : e.exitCode(), e.getMessage());
    } catch (Exception e) {
      fail(1, Worker.message(e));
    }
  }

  /** The launcher holds the other end of stdin: EOF means it is gone, and so is the job. */
  private static void exitWhenStdinCloses() {
    Thread t = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // the launcher writes nothing; keep reading until the pipe closes
        }
      } catch (IOException closed) {
        // same as EOF
      }
      System.err.println("ringtrain worker: the launcher is gone (its pipe closed): exiting");
      Runtime.getRuntime().halt(1);
    }, "parent-watch");
    t.setDaemon(true);
    t.start();
  }

  private static void fail(int code, String message) {
    System.err.println("ringtrain worker: " + message);
    System.exit(code);
  }
}
