package io.ringtrain.cli;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.JobOutcome;
import io.ringtrain.coordinator.RestorePoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.kernels.Backend;
import io.ringtrain.launch.ClusterJob;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.LocalCluster;
import io.ringtrain.launch.PrometheusEndpoint;
import io.ringtrain.launch.ReportingListener;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.launch.WorkerLauncher;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.RestorePoint;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Backends;
import io.ringtrain.train.Collective;
import io.ringtrain.train.RunReporter;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingData;
import io.ringtrain.train.TrainingDivergedException;
import io.ringtrain.train.TrainingListener;
import io.ringtrain.worker.WorkerHosts;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A job from its first file to its last: checks, the run directory, the plan, metrics, and then
 * the training itself, in this JVM (one worker), as worker JVMs on this machine, or through Spark.
 * {@code train}, {@code simulate} and {@code submit} start one; {@code resume} continues one.
 */
public final class TrainingJob {
  private TrainingJob() {}

  /** In this JVM with one worker, else as worker JVMs on this machine; no metrics endpoint. */
  public static int run(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out) throws Exception {
    return run(spec, resumeFrom, out, MetricsOptions.NONE);
  }

  /**
   * In this JVM with one worker, else as worker JVMs on this machine, placed where
   * {@value WorkerHosts#ENV} says (their own network namespaces: bench/cluster-netns.sh).
   */
  static int run(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out, MetricsOptions metricsOptions)
      throws Exception {
    return run(spec, resumeFrom, out,
        inWorkerJvms(spec) ? new LocalCluster(spec, out, workerHosts(spec)) : null, metricsOptions);
  }

  /** Whether {@link #run} trains {@code spec} in worker JVMs, which read any checkpoint themselves, not in this one. */
  static boolean inWorkerJvms(JobSpec spec) {
    return spec.getCluster().getWorkers() > 1;
  }

  /** Workers in namespaces of their own cannot reach a coordinator on loopback: refused before anything runs. */
  private static WorkerHosts workerHosts(JobSpec spec) {
    WorkerHosts hosts = WorkerHosts.fromEnvironment();
    String coordinator = spec.getCluster().getCoordinatorHost();
    if (hosts.usesNamespaces() && (coordinator.startsWith("127.") || coordinator.equals("localhost")
        || coordinator.equals("::1"))) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, WorkerHosts.ENV + " puts the workers in network namespaces of"
          + " their own, from which the coordinator on " + coordinator + " cannot be reached: pass"
          + " --coordinator-host with an address of this host that they can reach (bench/cluster-netns.sh: $NETNS_COORD_ADDR)");
    }
    return hosts;
  }

  /** With the workers {@code launcher} places, or in this JVM when it is null. */
  static int run(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out, WorkerLauncher launcher,
      MetricsOptions metricsOptions) throws Exception {
    Configuration conf = HadoopConf.configuration();
    Path runDir = new Path(spec.getOut());
    FileSystem fs = runDir.getFileSystem(conf);
    JobPreflight.check(spec, conf); // every refusal comes before the run directory's first file
    TrainingPlan plan = TrainingPlan.of(spec);
    if (resumeFrom == null) {
      Optional<Path> existing = Checkpoints.latest(fs, runDir);
      if (existing.isPresent()) {
        throw new UserFacingFailure(ExitCodes.BAD_INPUT, "run directory " + runDir + " already holds checkpoint "
            + existing.get().getName() + ": continue it with `ringtrain resume " + runDir + "` or choose another --out");
      }
      spec = spec.toBuilder().setRunId(UUID.randomUUID().toString()).build();
    }
    // A port in use is refused here too, before the run directory's first file.
    try (PrometheusEndpoint prometheus = metricsOptions.start(spec, plan.steps(), out)) {
      if (resumeFrom == null) {
        fs.mkdirs(runDir);
        write(fs, new Path(runDir, SPEC_FILE), JobSpecs.toJson(JobSpecs.withoutSecret(spec)));
        write(fs, new Path(runDir, PLAN_FILE), plan.checkpoints().toJson());
      }
      out.println(plan.describe());
      train(spec, resumeFrom, out, launcher, prometheus, conf, fs, runDir);
    }
    out.println("done: " + plan.steps() + " steps, " + plan.tokens() + " tokens; run directory " + runDir);
    return ExitCodes.OK;
  }

  /** The training itself, its events told to the run's files and to {@code prometheus} when there is one. */
  private static void train(JobSpec spec, Checkpoints.Loaded resumeFrom, PrintStream out, WorkerLauncher launcher,
      PrometheusEndpoint prometheus, Configuration conf, FileSystem fs, Path runDir) throws Exception {
    long keepThroughStep = resumeFrom == null ? -1 : resumeFrom.manifest().getStep();
    try (MetricsLog metrics = MetricsLog.open(fs, runDir, keepThroughStep);
         TensorBoardEvents tensorboard = TensorBoardEvents.open(fs, runDir, keepThroughStep)) {
      RunReporter reporter = new RunReporter(out, metrics, tensorboard, TrainingPlan.flopsPerToken(spec.getModel()),
          spec.getSchedule().getLogInterval());
      if (launcher != null) {
        JobSpec job = spec;
        RestorePoints restore = (generation, recordedStep) -> generation == 0
            ? Optional.ofNullable(resumeFrom).map(TrainingJob::restorePoint)
            : newestIntact(fs, runDir, job, recordedStep, out).map(TrainingJob::restorePoint);
        JobListener reporting = new ReportingListener(reporter, out, spec.getCluster().getMaxRestarts());
        // The endpoint hears each event first: a slow write of the run's files never holds its numbers back.
        JobOutcome outcome = ClusterJob.run(spec, restore,
            prometheus == null ? reporting : JobListener.inOrder(prometheus, reporting), launcher, out);
        if (!outcome.ok()) {
          throw new UserFacingFailure(outcome.exitCode() == ExitCodes.BAD_INPUT ? ExitCodes.BAD_INPUT : ExitCodes.FAILED,
              "job stopped: " + outcome.reason() + lastCheckpoint(fs, runDir, spec));
        }
      } else {
        inProcess(spec, resumeFrom, conf, fs, runDir, prometheus == null ? reporter : prometheus.alongside(reporter),
            prometheus, out);
      }
    }
  }

  /** The run's own spec, as it started (the identity its checkpoints are checked against). */
  static final String SPEC_FILE = "spec.json";
  /** The checkpoint plan, for people and for `ringtrain checkpoints`. */
  static final String PLAN_FILE = "checkpoint-plan.json";

  private static void write(FileSystem fs, Path file, String text) throws IOException {
    try (OutputStream o = fs.create(file, true)) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The newest intact checkpoint of this run up to a step; each one passed over is named on {@code out}. */
  static Optional<Checkpoints.Loaded> newestIntact(FileSystem fs, Path runDir, JobSpec run, long atMostStep,
      PrintStream out) throws IOException {
    return Checkpoints.newestIntact(fs, runDir, run, atMostStep,
        why -> out.println("skipping damaged checkpoint: " + why));
  }

  private static RestorePoint restorePoint(Checkpoints.Loaded c) {
    return RestorePoint.newBuilder().setStep(c.manifest().getStep()).setPath(c.dir().toString()).build();
  }

  private static void inProcess(JobSpec spec, Checkpoints.Loaded resumeFrom, Configuration conf, FileSystem fs,
      Path runDir, TrainingListener listener, PrometheusEndpoint prometheus, PrintStream out) throws IOException {
    try (TrainingData data = TrainingData.open(spec, conf);
         Backend backend = Backends.create(spec.getCluster(), out)) {
      Trainer trainer = new Trainer(spec, backend, Collective.single(), data.train(), data.val(), fs, runDir, resumeFrom);
      if (resumeFrom != null) out.println("resumed from " + resumeFrom.dir() + " at step " + trainer.step());
      if (prometheus != null) prometheus.onGenerationStart(0, trainer.step());
      try {
        trainer.run(listener);
      } catch (TrainingDivergedException e) {
        throw new UserFacingFailure(ExitCodes.FAILED, e.getMessage() + lastCheckpoint(fs, runDir, spec));
      }
    }
  }

  private static String lastCheckpoint(FileSystem fs, Path runDir, JobSpec run) throws IOException {
    Optional<Checkpoints.Loaded> last = Checkpoints.newestIntact(fs, runDir, run, why -> { });
    return last.isPresent() ? " (newest intact checkpoint: " + last.get().dir() + "; `ringtrain resume " + runDir
        + "` continues from it)" : " (no intact checkpoint was written yet)";
  }
}
