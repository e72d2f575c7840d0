package io.ringtrain.worker;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.CorruptCheckpointException;
import io.ringtrain.coordinator.CoordinatorClient;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.MalformedShardException;
import io.ringtrain.kernels.Backend;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.handoff.StateFetch;
import io.ringtrain.handoff.StateServer;
import io.ringtrain.proto.HeldState;
import io.ringtrain.proto.Join;
import io.ringtrain.proto.Peer;
import io.ringtrain.proto.RestorePoint;
import io.ringtrain.proto.StepLoss;
import io.ringtrain.proto.StepReport;
import io.ringtrain.proto.Stop;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.train.Backends;
import io.ringtrain.train.CheckpointRequests;
import io.ringtrain.train.ParamsDigest;
import io.ringtrain.train.StepResult;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingData;
import io.ringtrain.train.TrainingDivergedException;
import io.ringtrain.train.TrainingListener;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One worker's life in a job: join the coordinator asking for its rank, connect the ring of its
 * generation, restore the state the coordinator names, train, report. The same code runs in a child
 * JVM of {@code simulate} and in a Spark task.
 *
 * <p>A worker that rejoins outlives a failed generation: it leaves its step, keeps the state of the
 * last step it completed, serves it to the workers that lack it, and joins the next generation.
 */
public final class Worker {
  /** How long a worker waits for the coordinator and its assignment (the others may be starting). */
  static final long JOIN_TIMEOUT_MS = 120_000;

  private Worker() {}

  /**
   * Runs this worker until the job ends for it; returns 0 when it finished its share of the job.
   *
   * @throws JobStoppedException when the coordinator ended the job or this generation (and this
   *     worker does not rejoin), or refused it
   * @throws Exception naming the cause when this worker itself failed (the coordinator is told)
   */
  public static int run(WorkerContext ctx) throws Exception {
    try (StateServer state = ctx.rejoins() ? StateServer.listen(ctx.bindHost(), ctx.jobId(), ctx.secret()) : null) {
      Checkpoints.Loaded held = null;
      while (true) {
        try {
          return generation(ctx, state, held);
        } catch (GenerationEnded ended) {
          if (state == null) throw new JobStoppedException(ended.getMessage(), 1, true);
          held = ended.held != null ? ended.held : held;
          state.hold(held);
          System.err.println("ringtrain worker: " + ended.getMessage() + "; rejoining"
              + (held == null ? "" : " with the state of step " + held.manifest().getStep()));
        }
      }
    }
  }

  /** One generation: join it, train in it; a {@link GenerationEnded} when it ends before the job. */
  private static int generation(WorkerContext ctx, StateServer state, Checkpoints.Loaded held) throws Exception {
    // Listen before joining: the port announced at join is this worker's from the start, so no other
    // process can take it between the announcement and the ring's connect.
    try (RingPeer peer = RingPeer.listen(ctx.bindHost(), 0, 60_000)) {
      Join.Builder me = Join.newBuilder().setRingHost(ctx.bindHost()).setRingPort(peer.port()).setAttempt(ctx.attempt())
          .setRejoins(state != null);
      if (ctx.rank() >= 0) me.setRequestedRank(ctx.rank());
      if (state != null) me.setStatePort(state.port());
      if (held != null) {
        me.setHeld(HeldState.newBuilder().setStep(held.manifest().getStep())
            .setParamsDigest(ParamsDigest.of(held.tensors().get("params"))));
      }
      CoordinatorClient client;
      try {
        client = CoordinatorClient.join(ctx.coordinatorHost(), ctx.coordinatorPort(), ctx.jobId(), ctx.secret(), me,
            JOIN_TIMEOUT_MS);
      } catch (CoordinatorClient.JoinRefusedException refused) {
        Stop s = refused.stop();
        if (s.getRestart() && state != null) throw new GenerationEnded(s.getReason(), null);
        throw new JobStoppedException(refused.getMessage(), s.getExitCode() == 0 ? 2 : s.getExitCode(), s.getRestart());
      } catch (IOException unreachable) {
        throw new JobStoppedException(unreachable.getMessage(), 2, false);
      }
      try (client) {
        return train(ctx, client, peer, state, held);
      }
    }
  }

  private static int train(WorkerContext ctx, CoordinatorClient client, RingPeer peer, StateServer state,
      Checkpoints.Loaded held) throws Exception {
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
    // What this worker leaves with if the generation ends early: its trainer's state, else what it restored.
    AtomicReference<Checkpoints.Loaded> keep = new AtomicReference<>();
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
      Configuration conf = HadoopConf.configuration();
      Path runDir = new Path(spec.getOut());
      FileSystem fs = runDir.getFileSystem(conf);
      long r0 = System.nanoTime();
      Checkpoints.Loaded from = restore(a, held, fs, ctx);
      keep.set(from);
      double restoreMs = (System.nanoTime() - r0) / 1e6;
      try (TrainingData data = TrainingData.open(spec, conf);
           Backend backend = Backends.create(spec.getCluster(), System.err)) {
        Trainer trainer = new Trainer(spec, backend, new RingCollective(peer, a.getRank(), a.getWorldSize(), wire),
            data.train(), data.val(), fs, runDir, from);
        try {
          // The ring last: connecting waits for the neighbours, so the slow start (restore, data,
          // kernels) is behind every rank before the first all-reduce, whose stall watchdog would count it.
          Peer next = a.getRing((a.getRank() + 1) % a.getWorldSize());
          peer.connect(ringConfig, new InetSocketAddress(next.getHost(), next.getPort())).join();
          trainer.run(new Reports(client, a.getRank(), restoreMs, state), requests);
        } catch (Exception | Error e) {
          // The state this worker may rejoin with, read while the backend is open (its arrays may
          // live on a device); a finished job needs none.
          if (state != null) keep.set(trainer.state(StateFetch.source(ctx.bindHost(), state.port(), trainer.step())));
          throw e;
        }
      }
      client.finished();
      return 0;
    } catch (Exception e) {
      Stop s = stop.get();
      if (s != null && s.getExitCode() != 0) {
        if (s.getRestart()) throw new GenerationEnded(who + " left: " + s.getReason(), keep.get());
        throw new JobStoppedException(who + " stopped: " + s.getReason(), s.getExitCode(), false);
      }
      boolean retryable = retryable(e);
      client.failed(who + ": " + message(e), retryable);
      // Its state is sound (a step's updates wait for the step's all-reduce): once the coordinator
      // has ended the generation, it comes back with it.
      if (retryable && state != null && awaitRestart(client, spec.getCluster().getFailureTimeoutMs())) {
        throw new GenerationEnded(who + " failed: " + message(e), keep.get());
      }
      throw e;
    }
  }

  /** The state {@code a} names: none, the one held already, a survivor's, or a checkpoint. */
  private static Checkpoints.Loaded restore(Assignment a, Checkpoints.Loaded held, FileSystem fs, WorkerContext ctx)
      throws IOException {
    if (!a.hasRestore()) return null;
    RestorePoint p = a.getRestore();
    if (p.hasDonor()) {
      if (held != null && held.manifest().getStep() == p.getStep()) return held;
      return StateFetch.fetch(p.getDonor().getHost(), p.getDonor().getPort(), ctx.jobId(), ctx.secret(), p.getStep());
    }
    Checkpoints.Loaded c = Checkpoints.load(fs, new Path(p.getPath()));
    if (c.manifest().getStep() != p.getStep()) {
      throw new CorruptCheckpointException(c.dir() + " holds step " + c.manifest().getStep()
          + ", not the step " + p.getStep() + " the coordinator chose");
    }
    return c;
  }

  /** Whether the coordinator ended the generation (rather than the job) within {@code timeoutMs}. */
  private static boolean awaitRestart(CoordinatorClient client, long timeoutMs) {
    try {
      return client.stopped().get(timeoutMs, TimeUnit.MILLISECONDS).getRestart();
    } catch (Exception noWordInTime) {
      return false;
    }
  }

  /** This worker's generation ended and the job goes on; {@code held} is the state it leaves with. */
  private static final class GenerationEnded extends Exception {
    final transient Checkpoints.Loaded held;

    GenerationEnded(String message, Checkpoints.Loaded held) {
      super(message);
      this.held = held;
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
    private final StateServer state;
    private double restoreMs;

    Reports(CoordinatorClient client, int rank, double restoreMs, StateServer state) {
      this.client = client;
      this.rank = rank;
      this.restoreMs = restoreMs;
      this.state = state;
    }

    @Override
    public void onLoss(long step, double loss) {
      client.report(StepLoss.newBuilder().setStep(step).setLoss(loss).build());
    }

    @Override
    public void onStep(StepResult r) {
      client.report(StepReport.newBuilder().setStep(r.step()).setTotalSteps(r.totalSteps())
          .setLoss(r.loss()).setLr(r.lr()).setGradNorm(r.gradNorm()).setTokens(r.tokens())
          .setTokensSeen(r.tokensSeen()).setComputeMs(r.computeMs()).setAllreduceMs(r.syncMs())
          .setParamsDigest(r.paramsDigest()).setRestoreMs(restoreMs).build());
      restoreMs = 0; // reported with the generation's first step only
      // Every rank holds the generation's state now: the one handed over is no longer needed.
      if (state != null) state.hold(null);
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
