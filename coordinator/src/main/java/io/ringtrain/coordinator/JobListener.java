package io.ringtrain.coordinator;

import io.ringtrain.proto.Assignment;
import java.util.List;

/** What the coordinator tells its host (the launcher) as the job goes. */
public interface JobListener {
  /** Every worker has joined; ranks and ring order are fixed. */
  default void onRendezvous(List<Assignment> assignments) {}

  /** Every rank has reported {@code summary.step()}. */
  default void onStep(StepSummary summary) {}

  /** Rank 0 evaluated after {@code step}. */
  default void onEval(io.ringtrain.proto.EvalReport report) {}

  /** Rank 0 committed a checkpoint. */
  default void onCheckpoint(io.ringtrain.proto.CheckpointReport report) {}

  /** Called once with the job's end: normal completion or the failure that stopped it. */
  default void onEnd(JobOutcome outcome) {}
}
