package io.ringtrain.coordinator;

import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import java.util.List;

/**
 * What the coordinator tells its host (the launcher) as the job goes. Calls come one at a time,
 * in order, on a thread of their own: a listener may block (write metrics to HDFS) without
 * delaying heartbeats.
 */
public interface JobListener {
  /** Every worker of a generation has joined; ranks, ring order and restore point are fixed. */
  default void onRendezvous(List<Assignment> assignments) {}

  /**
   * A generation starts from {@code restoredStep} (0: from scratch): whatever was recorded after
   * that step will be recorded again, so metrics must forget it.
   */
  default void onGenerationStart(int generation, long restoredStep) {}

  /** Every rank has reported {@code summary.step()}. */
  default void onStep(StepSummary summary) {}

  /** Rank 0 evaluated after {@code step}. */
  default void onEval(EvalReport report) {}

  /** The writing rank committed a checkpoint, or failed to ({@code report.error} set). */
  default void onCheckpoint(CheckpointReport report) {}

  /**
   * A generation failed and the job goes on: {@code generation + 1} gathers its survivors now and
   * asks for the missing workers after {@code backoffMs} ({@link #onWorkersWanted}).
   */
  default void onGenerationFailed(int generation, String cause, long backoffMs) {}

  /**
   * After a failure, the ranks of {@code generation} that no survivor came back for: the launcher
   * starts workers for them (stopping any of theirs still running).
   */
  default void onWorkersWanted(int generation, List<Integer> ranks) {}

  /** A new generation completed its first step after a failure. */
  default void onRecovered(Recovery recovery) {}

  /** Called once with the job's end: normal completion or the failure that stopped it. */
  default void onEnd(JobOutcome outcome) {}

  /**
   * At every heartbeat tick until the job ends: each rank of the current generation, in rank
   * order.
   */
  default void onRanks(List<RankHealth> ranks) {}

  /** Both listeners hear every event, {@code first} before {@code second}. */
  static JobListener inOrder(JobListener first, JobListener second) {
    return new JobListener() {
      @Override
      public void onRendezvous(List<Assignment> assignments) {
        first.onRendezvous(assignments);
        second.onRendezvous(assignments);
      }

      @Override
      public void onGenerationStart(int generation, long restoredStep) {
        first.onGenerationStart(generation, restoredStep);
        second.onGenerationStart(generation, restoredStep);
      }

      @Override
      public void onStep(StepSummary summary) {
        first.onStep(summary);
        second.onStep(summary);
      }

      @Override
      public void onEval(EvalReport report) {
        first.onEval(report);
        second.onEval(report);
      }

      @Override
      public void onCheckpoint(CheckpointReport report) {
        first.onCheckpoint(report);
        second.onCheckpoint(report);
      }

      @Override
      public void onGenerationFailed(int generation, String cause, long backoffMs) {
        first.onGenerationFailed(generation, cause, backoffMs);
        second.onGenerationFailed(generation, cause, backoffMs);
      }

      @Override
      public void onWorkersWanted(int generation, List<Integer> ranks) {
        first.onWorkersWanted(generation, ranks);
        second.onWorkersWanted(generation, ranks);
      }

      @Override
      public void onRecovered(Recovery recovery) {
        first.onRecovered(recovery);
        second.onRecovered(recovery);
      }

      @Override
      public void onEnd(JobOutcome outcome) {
        first.onEnd(outcome);
        second.onEnd(outcome);
      }

      @Override
      public void onRanks(List<RankHealth> ranks) {
        first.onRanks(ranks);
        second.onRanks(ranks);
      }
    };
  }
}
