package io.ringtrain.worker;

import java.util.Objects;

/**
 * What a launcher tells one worker about its place in the job, in the spirit of Spark's
 * {@code BarrierTaskContext}: which rank it asks for, which attempt of the job's workers it
 * belongs to, and where the coordinator is. A child JVM of {@code simulate} and a Spark barrier
 * task build the same context and run the same {@link Worker}.
 *
 * @param rank the rank this worker asks for, stable across attempts (a child's index, a Spark
 *     partition id): the ring order, and with it the summation order, never changes; -1 takes the
 *     first free rank
 * @param attempt the launcher's attempt number (0 first; a Spark stage attempt), for messages only:
 *     the coordinator decides the generation
 * @param coordinatorHost the coordinator's address (the Spark driver's host)
 * @param coordinatorPort the coordinator's port
 * @param jobId the job's id, mixed into every MAC
 * @param secret the job's shared secret; never written to a file or a command line
 * @param bindHost the address this worker's ring listens on and announces to its peers
 * @param rejoins whether this worker outlives a failed generation: it keeps its state, serves it to
 *     the others, and joins the next one (a child JVM of {@code simulate}). A Spark task does not: its
 *     whole stage is retried.
 */
public record WorkerContext(int rank, int attempt, String coordinatorHost, int coordinatorPort, String jobId,
    String secret, String bindHost, boolean rejoins) {
  public WorkerContext {
    Objects.requireNonNull(coordinatorHost, "coordinatorHost");
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(bindHost, "bindHost");
    if (rank < -1) throw new IllegalArgumentException("rank " + rank + " must be >= 0, or -1 for any");
  }

  /** A worker that leaves with its generation. */
  public WorkerContext(int rank, int attempt, String coordinatorHost, int coordinatorPort, String jobId, String secret,
      String bindHost) {
    this(rank, attempt, coordinatorHost, coordinatorPort, jobId, secret, bindHost, false);
  }

  @Override
  public String toString() { // never the secret
    return "worker rank " + rank + " (attempt " + attempt + ") of job " + jobId + " at " + coordinatorHost + ":"
        + coordinatorPort;
  }
}
