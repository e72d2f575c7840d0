package io.ringtrain.worker;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.CorruptCheckpointException;
import io.ringtrain.coordinator.CoordinatorClient;
import io.ringtrain.data.FileSystems;
import io.ringtrain.data.MalformedShardException;
import io.ringtrain.kernels.Backend;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.Peer;
import io.ringtrain.proto.StepReport;
import io.ringtrain.proto.Stop;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.train.Backends;
import io.ringtrain.train.CheckpointRequests;
import io.ringtrain.train.StepResult;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingData;
import io.ringtrain.train.TrainingDivergedException;
import io.ringtrain.train.TrainingListener;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One worker's life in a job: join the coordinator asking for its rank, connect the ring of its
 * generation, restore the checkpoint the coordinator names, train, report. The same code runs in a
 * child JVM of {@code simulate} and in a Spark task.
 */
public final class Worker {
  /** How long a worker waits for the coordinator and its assignment (the others may be starting). */
  static final long JOIN_TIMEOUT_MS = 120_000;

  private Worker() {}

  /**
   * Runs this worker until the job ends for it; returns 0 when it finished its share of the job.
   *
   * @throws JobStoppedException when the coordinator ended the job or this generation, or refused it
   * @throws Exception naming the cause when this worker itself failed (the coordinator is told)
   */
  public static int run(WorkerContext ctx) throws Exception {
    // Listen before joining: the port announced at join is this worker's from the start, so no other
    // process can take it between the announcement and the ring's connect.
    try (RingPeer peer = RingPeer.listen(ctx.bindHost(), 0, 60_000)) {
      CoordinatorClient client;
      try {
        client = CoordinatorClient.join(ctx.coordinatorHost(), ctx.coordinatorPort(), ctx.jobId(), ctx.secret(),
            ctx.bindHost(), peer.port(), ctx.rank(), ctx.attempt(), JOIN_TIMEOUT_MS);
      } catch (IOException refusedOrUnreachable) {
        throw new JobStoppedException(refusedOrUnreachable.getMessage(), 2, false);
      }
      try (client) {
        return train(ctx, client, peer);
      }
    }
  }

  private static int train(WorkerContext ctx, CoordinatorClient client, RingPeer peer) throws Exception {
    Assignment a = client.assignment();
    JobSpec spec = a.getSpec();
    String who = "worker rank " + a.getRank() + " (generation " + a.getGeneration() + ")";
    // The generation is in the ring's MAC: a peer left over from an earlier generation is refused.
    WireDtype wire = WireDtype.of(spec.getCluster().getWireDtype());
    RingConfig ringConfig = RingConfig.of(a.getRank(), a.getWorldSize(), ctx.jobId() + "/g" + a.getGeneration(),
            ctx.secret().getBytes(StandardCharsets.UTF_8))
        .withTimeouts(spec.getCluster().getFailureTimeoutMs(), 60_000)
        .withWireDtype(wire);
    AtomicReference<Stop> stop = new AtomicReference<>();
    try {
      client.stopped().thenAccept(s -> {
        stop.set(s);
        // Unblocks a pending all-reduce at once; closing blocks, so not on the client's event loop.
        if (s.getExitCode() != 0) new Thread(peer::close, "ring-close").start();
      });
      AtomicLong ordered = new AtomicLong(Long.MAX_VALUE);
      client.onCheckpointOrder(step -> ordered.accumulateAndGet(step, Math::min));
      CheckpointRequests requests = step -> {
        long due = ordered.get();
        return due <= step && ordered.compareAndSet(due, Long.MAX_VALUE);
      };
      Configuration conf = FileSystems.configuration();
      Path runDir = new Path(spec.getOut());
      FileSystem fs = runDir.getFileSystem(conf);
      long r0 = System.nanoTime();
      Checkpoints.Loaded from = null;
      if (a.hasRestore()) {
        from = Checkpoints.load(fs, new Path(a.getRestore().getPath()));
        if (from.manifest().getStep() != a.getRestore().getStep()) {
          throw new CorruptCheckpointException(from.dir() + " holds step " + from.manifest().getStep()
              + ", not the step " + a.getRestore().getStep() + " the coordinator chose");
        }
      }
      double restoreMs = (System.nanoTime() - r0) / 1e6;
      try (TrainingData data = TrainingData.open(spec, conf);
           Backend backend = Backends.create(spec.getCluster(), System.err)) {
        Trainer trainer = new Trainer(spec, backend, new RingCollective(peer, a.getRank(), a.getWorldSize(), wire),
            data.train(), data.val(), fs, runDir, from);
        // The ring last: connecting waits for the neighbours, so the slow start (restore, data, kernels)
        // is behind every rank before the first all-reduce, whose stall watchdog would count it.
        Peer next = a.getRing((a.getRank() + 1) % a.getWorldSize());
        peer.connect(ringConfig, new InetSocketAddress(next.getHost(), next.getPort())).join();
        trainer.run(new Reports(client, a.getRank(), restoreMs), requests);
      }
      client.finished();
      return 0;
    } catch (Exception e) {
      Stop s = stop.get();
      if (s != null && s.getExitCode() != 0) {
        throw new JobStoppedException(who + " stopped: " + s.getReason(), s.getExitCode(), s.getRestart());
      }
      client.failed(who + ": " + message(e), retryable(e));
      throw e;
    }
  }

  /**
   * A failure another generation would only repeat: the loss diverging, bad or missing data, a bad
   * checkpoint or configuration. Anything else (a peer lost, a filesystem hiccup) is worth a restart.
   */
  static boolean retryable(Throwable e) {
    return !(e instanceof TrainingDivergedException || e instanceof MalformedShardException
        || e instanceof FileNotFoundException || e instanceof CorruptCheckpointException
        || e instanceof IllegalArgumentException);
  }

  static String message(Throwable e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** The trainer's events, as control messages to the coordinator. */
  private static final class Reports implements TrainingListener {
    private final CoordinatorClient client;
    private final int rank;
    private double restoreMs;

    Reports(CoordinatorClient client, int rank, double restoreMs) {
      this.client = client;
      this.rank = rank;
      this.restoreMs = restoreMs;
    }

    @Override
    public void onStep(StepResult r) {
      client.report(StepReport.newBuilder().setStep(r.step()).setTotalSteps(r.totalSteps())
          .setLoss(r.loss()).setLr(r.lr()).setGradNorm(r.gradNorm()).setTokens(r.tokens())
          .setTokensSeen(r.tokensSeen()).setComputeMs(r.computeMs()).setAllreduceMs(r.syncMs())
          .setParamsDigest(r.paramsDigest()).setRestoreMs(restoreMs).build());
      restoreMs = 0; // reported with the generation's first step only
    }

    @Override
    public void onEval(long step, long tokensSeen, double valLoss) {
      if (rank == 0) client.report(EvalReport.newBuilder().setStep(step).setTokens(tokensSeen).setValLoss(valLoss).build());
    }

    @Override
    public void onCheckpoint(CheckpointWriter.Committed c) {
      client.report(CheckpointReport.newBuilder().setStep(c.step()).setPath(c.dir().toString()).setBytes(c.bytes())
          .setSnapshotMs(c.snapshotMs()).setWriteMs(c.writeMs()).setPlanned(c.planned()).build());
    }

    @Override
    public void onCheckpointFailed(long step, boolean planned, String error) {
      client.report(CheckpointReport.newBuilder().setStep(step).setPath("checkpoints/" + step).setPlanned(planned)
          .setError(error).build());
    }
  }
}
