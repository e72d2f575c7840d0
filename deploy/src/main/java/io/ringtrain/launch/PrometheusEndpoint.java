package io.ringtrain.launch;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.RankHealth;
import io.ringtrain.coordinator.Recovery;
import io.ringtrain.coordinator.StepSummary;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.train.StepResult;
import io.ringtrain.train.TrainingListener;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * The job's numbers for cluster operators, in Prometheus's text format at
 * {@code http://HOST:PORT/metrics}, served by the process that hosts the coordinator (or runs
 * {@code train}). The Prometheus Java client (io.prometheus:prometheus-metrics-*) holds the
 * registry and its HTTP server, on daemon threads of its own.
 *
 * <p>Each event only swaps an immutable record into a volatile field or adds to a counter, so it
 * never blocks the listener's thread or the training thread. A scrape reads each record once and
 * builds every gauge from what it read, so it never pairs one step's number with another step's
 * loss.
 */
public final class PrometheusEndpoint implements JobListener, AutoCloseable {
  /** Where the job is: the last completed step of the current generation, or where it restored. */
  private record Progress(int generation, long step, StepSummary last) {}

  private record Checkpoint(long step, long unixMs, long bytes) {}

  private record Eval(long step, double loss) {}

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final HTTPServer server;
  private volatile Progress progress = new Progress(0, 0, null);
  private volatile List<RankHealth> ranks = List.of();
  private volatile Checkpoint checkpoint;
  private volatile Eval eval;
  private volatile Recovery recovery;
  private final Counter tokens;
  private final Counter checkpoints;
  private final Counter checkpointFailures;
  private final Counter generationFailures;
  private final Counter recoveries;
  private final Counter stepsLost;

  /**
   * Serves {@code spec}'s job on {@code host:port} (0 picks a free port). A port in use is a
   * {@link BindException} that says so; a host that names no address is an
   * {@link IllegalArgumentException}.
   */
  public static PrometheusEndpoint start(String host, int port, JobSpec spec, long totalSteps) throws IOException {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("--metrics-port=" + port + " must be 0..65535");
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--metrics-host=" + host + " does not resolve: " + e.getMessage());
    }
    return new PrometheusEndpoint(address, host, port, spec, totalSteps);
  }

  private PrometheusEndpoint(InetAddress address, String host, int port, JobSpec spec, long totalSteps)
      throws IOException {
    Info.builder().name("ringtrain_job").help("The job: its name and run id (constant 1).")
        .labelNames("name", "run_id").register(registry).setLabelValues(spec.getName(), spec.getRunId());
    int workers = spec.getCluster().getWorkers();
    gauge("ringtrain_workers", "Ranks of each generation (cluster.workers).", null, (v, out) -> out.add(workers));
    gauge("ringtrain_total_steps", "Optimizer steps the job plans.", null, (v, out) -> out.add(totalSteps));
    gauge("ringtrain_generation", "The current generation of workers (0, then 1 after the first restart, ...).", null,
        (v, out) -> out.add(v.progress().generation()));
    gauge("ringtrain_step", "Last step every rank completed (after a restart: the restored step until the next).",
        null, (v, out) -> out.add(v.progress().step()));
    stepGauge("ringtrain_train_loss", "Training loss of the last step (mean over ranks).", null, StepSummary::loss);
    stepGauge("ringtrain_learning_rate", "Learning rate of the last step.", null, StepSummary::lr);
    stepGauge("ringtrain_grad_norm", "Global gradient norm of the last step, before clipping.", null,
        StepSummary::gradNorm);
    stepGauge("ringtrain_tokens_seen", "Tokens the job has trained on up to the last step.", null,
        s -> (double) s.tokensSeen());
    stepGauge("ringtrain_tokens_per_second", "Tokens per second of the last step: its tokens over the slowest rank's"
        + " compute plus all-reduce time.", null,
        s -> s.maxComputeMs() + s.maxAllreduceMs() > 0 ? s.tokens() / ((s.maxComputeMs() + s.maxAllreduceMs()) / 1e3)
            : Double.NaN);
    stepGauge("ringtrain_step_compute_seconds", "Compute time of the last step on its slowest rank.", Unit.SECONDS,
        s -> s.maxComputeMs() / 1e3);
    stepGauge("ringtrain_step_allreduce_seconds", "All-reduce time of the last step on its slowest rank.", Unit.SECONDS,
        s -> s.maxAllreduceMs() / 1e3);
    gauge("ringtrain_val_loss", "Validation loss of the last evaluation.", null, (v, out) -> {
      if (v.eval() != null) out.add(v.eval().loss());
    });
    gauge("ringtrain_val_step", "Step of the last evaluation.", null, (v, out) -> {
      if (v.eval() != null) out.add(v.eval().step());
    });
    gauge("ringtrain_last_checkpoint_step", "Step of the last committed checkpoint.", null, (v, out) -> {
      if (v.checkpoint() != null) out.add(v.checkpoint().step());
    });
    gauge("ringtrain_last_checkpoint_timestamp_seconds", "When the last checkpoint was committed (Unix time).",
        Unit.SECONDS, (v, out) -> {
          if (v.checkpoint() != null) out.add(v.checkpoint().unixMs() / 1e3);
        });
    gauge("ringtrain_last_checkpoint_bytes", "Size of the last committed checkpoint.", Unit.BYTES, (v, out) -> {
      if (v.checkpoint() != null) out.add(v.checkpoint().bytes());
    });
    gauge("ringtrain_last_recovery_seconds", "From the last failure to the new generation's first completed step.",
        Unit.SECONDS, (v, out) -> {
          if (v.recovery() != null) out.add(v.recovery().totalMs() / 1e3);
        });
    rankGauge("ringtrain_rank_up", "1 while the rank's worker of the current generation is connected, else 0.", null,
        r -> r.connected() ? 1 : 0, r -> true);
    rankGauge("ringtrain_rank_heartbeat_age_seconds", "Since the coordinator last heard from the rank (to within one"
        + " heartbeat interval).", Unit.SECONDS, r -> (System.currentTimeMillis() - r.lastSeenUnixMs()) / 1e3,
        RankHealth::joined);
    rankGauge("ringtrain_rank_last_step", "Last step the rank reported in this generation.", null,
        r -> (double) r.lastStep(), RankHealth::joined);
    rankGauge("ringtrain_rank_step_compute_seconds", "Compute time of the rank's last step.", Unit.SECONDS,
        r -> r.computeMs() / 1e3, r -> r.lastStep() > 0);
    rankGauge("ringtrain_rank_step_allreduce_seconds", "All-reduce time of the rank's last step.", Unit.SECONDS,
        r -> r.allreduceMs() / 1e3, r -> r.lastStep() > 0);
    gauge("ringtrain_rank_info", "The rank's worker process (constant 1).", null, (v, out) -> {
      for (RankHealth r : v.ranks()) {
        if (r.joined()) out.add(1, Integer.toString(r.rank()), Long.toString(r.pid()), r.host());
      }
    }, "rank", "pid", "host");
    registry.register(new Gauges());
    tokens = counter("ringtrain_tokens", "Tokens trained, steps trained again after a restart included.");
    checkpoints = counter("ringtrain_checkpoints", "Checkpoints committed.");
    checkpointFailures = counter("ringtrain_checkpoint_failures", "Checkpoints that could not be written.");
    generationFailures = counter("ringtrain_generation_failures",
        "Generations of workers that failed (a worker died, stalled or lost its ring) and were restarted.");
    recoveries = counter("ringtrain_recoveries", "Restarted generations that completed their first step.");
    stepsLost = counter("ringtrain_recovery_steps_lost", "Steps trained again because of failures.");
    try {
      server = HTTPServer.builder().inetAddress(address).port(port).registry(registry).buildAndStart();
    } catch (IOException e) {
      boolean inUse = String.valueOf(e.getMessage()).contains("in use");
      BindException be = new BindException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage()
          + (inUse ? " (is the port in use? pick another --metrics-port, or 0 for a free one)"
              : " (is --metrics-host an address of this machine?)"));
      be.initCause(e);
      throw be;
    }
  }

  /** The port it serves on (the free one chosen when asked for 0). */
  public int port() {
    return server.getPort();
  }

  /** What one scrape reads: each record once, so all its numbers of one step are that step's. */
  private record View(Progress progress, List<RankHealth> ranks, Checkpoint checkpoint, Eval eval,
      Recovery recovery) {}

  private interface Sink {
    void add(double value, String... labelValues);
  }

  private record Family(String name, String help, Unit unit, String[] labelNames, BiConsumer<View, Sink> values) {}

  private final List<Family> gauges = new ArrayList<>();

  private final class Gauges implements MultiCollector {
    @Override
    public MetricSnapshots collect() {
      View v = new View(progress, ranks, checkpoint, eval, recovery);
      MetricSnapshots.Builder all = MetricSnapshots.builder();
      for (Family f : gauges) {
        GaugeSnapshot.Builder g = GaugeSnapshot.builder().name(f.name()).help(f.help());
        if (f.unit() != null) g.unit(f.unit());
        f.values().accept(v, (value, labelValues) -> g.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
            .value(value).labels(Labels.of(f.labelNames(), labelValues)).build()));
        all.metricSnapshot(g.build());
      }
      return all.build();
    }

    @Override
    public List<String> getPrometheusNames() {
      return gauges.stream().map(Family::name).toList();
    }
  }

  private void gauge(String name, String help, Unit unit, BiConsumer<View, Sink> values, String... labelNames) {
    gauges.add(new Family(name, help, unit, labelNames, values));
  }

  /** A number of the last completed step, absent until the current generation completes one. */
  private void stepGauge(String name, String help, Unit unit, ToDoubleFunction<StepSummary> value) {
    gauge(name, help, unit, (v, out) -> {
      if (v.progress().last() != null) out.add(value.applyAsDouble(v.progress().last()));
    });
  }

  /** One series per rank {@code known} holds for (a rank no worker holds yet has no heartbeat age). */
  private void rankGauge(String name, String help, Unit unit, ToDoubleFunction<RankHealth> value,
      Predicate<RankHealth> known) {
    gauge(name, help, unit, (v, out) -> {
      for (RankHealth r : v.ranks()) {
        if (known.test(r)) out.add(value.applyAsDouble(r), Integer.toString(r.rank()));
      }
    }, "rank");
  }

  private Counter counter(String name, String help) {
    return Counter.builder().name(name).help(help).register(registry);
  }

  @Override
  public void onGenerationStart(int generation, long restoredStep) {
    progress = new Progress(generation, restoredStep, null);
  }

  @Override
  public void onStep(StepSummary s) {
    progress = new Progress(progress.generation(), s.step(), s);
    tokens.inc(s.tokens());
  }

  @Override
  public void onEval(EvalReport r) {
    eval = new Eval(r.getStep(), r.getValLoss());
  }

  @Override
  public void onCheckpoint(CheckpointReport r) {
    if (r.getError().isEmpty()) {
      committed(r.getStep(), r.getBytes());
    } else {
      checkpointFailures.inc();
    }
  }

  private void committed(long step, long bytes) {
    checkpoint = new Checkpoint(step, System.currentTimeMillis(), bytes);
    checkpoints.inc();
  }

  @Override
  public void onGenerationFailed(int generation, String cause, long backoffMs) {
    generationFailures.inc();
  }

  @Override
  public void onRecovered(Recovery r) {
    recovery = r;
    recoveries.inc();
    stepsLost.inc(r.stepsLost());
  }

  @Override
  public void onRanks(List<RankHealth> ranks) {
    this.ranks = ranks;
  }

  /**
   * For {@code train}, which has no coordinator: the one process's steps, evaluations and
   * checkpoints reach this endpoint, then {@code reporter}.
   */
  public TrainingListener alongside(TrainingListener reporter) {
    return new TrainingListener() {
      @Override
      public void onStep(StepResult s) throws IOException {
        PrometheusEndpoint.this.onStep(new StepSummary(s.step(), s.totalSteps(), s.loss(), s.lr(), s.gradNorm(),
            s.tokens(), s.tokensSeen(), s.computeMs(), s.syncMs(), 1));
        reporter.onStep(s);
      }

      @Override
      public void onEval(long step, long tokensSeen, double valLoss) throws IOException {
        eval = new Eval(step, valLoss);
        reporter.onEval(step, tokensSeen, valLoss);
      }

      @Override
      public void onCheckpoint(CheckpointWriter.Committed c) throws IOException {
        committed(c.step(), c.bytes());
        reporter.onCheckpoint(c);
      }

      @Override
      public void onCheckpointFailed(long step, boolean planned, String error) throws IOException {
        checkpointFailures.inc();
        reporter.onCheckpointFailed(step, planned, error);
      }
    };
  }

  @Override
  public void close() {
    server.close();
  }
}
