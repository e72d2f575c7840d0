package io.ringtrain.launch;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.coordinator.JobListener;
import io.ringtrain.coordinator.Recovery;
import io.ringtrain.coordinator.StepSummary;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.train.RunReporter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The coordinator's events, as a run reports them: progress lines, metrics.jsonl, checkpoints,
 * restarts and recoveries. Every launcher that hosts a coordinator (local processes, Spark) uses it.
 */
public final class ReportingListener implements JobListener {
  private final RunReporter reporter;
  private final PrintStream out;
  private final int maxRestarts;

  public ReportingListener(RunReporter reporter, PrintStream out, int maxRestarts) {
    this.reporter = reporter;
    this.out = out;
    this.maxRestarts = maxRestarts;
  }

  @Override
  public void onGenerationStart(int generation, long restoredStep) {
    if (generation == 0) return;
    guard(() -> reporter.rewind(restoredStep));
  }

  @Override
  public void onStep(StepSummary s) {
    guard(() -> reporter.step(s.step(), s.totalSteps(), s.loss(), s.lr(), s.gradNorm(), s.tokens(), s.tokensSeen(),
        s.maxComputeMs(), s.maxAllreduceMs()));
  }

  @Override
  public void onEval(EvalReport r) {
    guard(() -> reporter.onEval(r.getStep(), r.getTokens(), r.getValLoss()));
  }

  @Override
  public void onCheckpoint(CheckpointReport r) {
    guard(() -> {
      if (r.getError().isEmpty()) {
        reporter.onCheckpoint(new CheckpointWriter.Committed(r.getStep(), new Path(r.getPath()), r.getBytes(),
            r.getSnapshotMs(), r.getWriteMs(), r.getPlanned()));
      } else {
        reporter.onCheckpointFailed(r.getStep(), r.getPlanned(), r.getError());
      }
    });
  }

  @Override
  public void onGenerationFailed(int generation, String cause, long backoffMs) {
    out.printf(Locale.ROOT, "generation %d failed: %s%nrestart %d of %d (back-off %.1f s)%n", generation, cause,
        generation + 1, maxRestarts, backoffMs / 1e3);
  }

  @Override
  public void onWorkersWanted(int generation, List<Integer> ranks) {
    out.println("generation " + generation + ": starting workers for rank" + (ranks.size() == 1 ? " " : "s ")
        + ranks.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
  }

  @Override
  public void onRecovered(Recovery r) {
    out.printf(Locale.ROOT, "recovered: generation %d restored step %d from %s (%d steps lost) and completed its first"
            + " step %.1f s after the failure (relaunch and rendezvous %.1f s, restore %.0f ms)%n", r.generation(),
        r.restoredStep(), r.source(), r.stepsLost(), r.totalMs() / 1e3, r.relaunchMs() / 1e3, r.restoreMs());
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("generation", r.generation());
    f.put("cause", r.cause());
    f.put("restored_step", r.restoredStep());
    f.put("restored_from", r.source());
    f.put("steps_lost", r.stepsLost());
    f.put("seconds_to_recover", r.totalMs() / 1e3);
    f.put("relaunch_ms", r.relaunchMs());
    f.put("restore_ms", r.restoreMs());
    f.put("detected_unix_ms", r.detectedUnixMs());
    guard(() -> reporter.record("recovery", r.restoredStep(), f));
  }

  private interface Io {
    void run() throws IOException;
  }

  private void guard(Io write) {
    try {
      write.run();
    } catch (IOException e) {
      out.println("cannot write metrics: " + e.getMessage());
    }
  }
}
