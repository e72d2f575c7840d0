package io.ringtrain.launch;

import io.ringtrain.auth.Hmac;
import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.coordinator.RestorePoints;
import io.ringtrain.proto.JobSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.IntStream;

/**
 * A distributed job from its launcher's side, whatever places the workers: this JVM hosts the
 * coordinator, the launcher starts generation 0, and whenever the coordinator ends a generation and
 * asks for the workers that did not come back, the launcher starts those. A generation restores
 * what a survivor holds, or what {@code restorePoints} chooses. Returns the job's outcome.
 */
public final class ClusterJob {
  private ClusterJob() {}

  /** What the loop waits for: the job's end, or workers to start. */
  private record Wanted(int generation, List<Integer> ranks) {}

  public static JobOutcome run(JobSpec spec, RestorePoints restorePoints, JobListener reporting, WorkerLauncher workers,
      PrintStream out) throws IOException, InterruptedException {
    String jobId = spec.getName() + "-" + Long.toHexString(System.nanoTime());
    String secret = spec.getCluster().getSecret().isEmpty() ? Hmac.newSecret() : spec.getCluster().getSecret();
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    JobListener loop = new JobListener() {
      @Override
      public void onWorkersWanted(int generation, List<Integer> ranks) {
        events.add(new Wanted(generation, ranks));
      }

      @Override
      public void onEnd(JobOutcome outcome) {
        events.add(outcome);
      }
    };
    JobOutcome outcome = null;
    try (Coordinator coordinator = new Coordinator(spec, jobId, secret, spec.getCluster().getCoordinatorHost(),
        spec.getCluster().getCoordinatorPort(), workers.rendezvousTimeoutMs(), restorePoints, JobListener.inOrder(reporting, loop))) {
      out.println("coordinator on " + spec.getCluster().getCoordinatorHost() + ":" + coordinator.port() + ", starting "
          + spec.getCluster().getWorkers() + " workers (" + spec.getCluster().getThreads() + " threads each)");
      workers.launch(0, IntStream.range(0, spec.getCluster().getWorkers()).boxed().toList(), coordinator, jobId, secret);
      while (outcome == null) {
        Object event = events.take();
        if (event instanceof JobOutcome o) {
          outcome = o;
        } else {
          Wanted w = (Wanted) event;
          workers.launch(w.generation(), w.ranks(), coordinator, jobId, secret);
        }
      }
      return outcome;
    } finally {
      workers.close(outcome != null && outcome.ok());
    }
  }
}
