package io.ringtrain.train;

import io.ringtrain.checkpoint.CheckpointWriter;

/** What a run tells its host (the console, the metrics log, the coordinator) as it goes. */
public interface TrainingListener {
  /** Nothing to tell. */
  TrainingListener NONE = new TrainingListener() { };

  /**
   * This rank's loss for {@code step}, known once its forward passes are done and before any of
   * its gradients leave it: whoever completes the step had this rank's part of it.
   */
  default void onLoss(long step, double loss) {}

  default void onStep(StepResult step) throws java.io.IOException {}

  /** Validation loss after {@code step} steps ({@code tokensSeen} tokens across all ranks). */
  default void onEval(long step, long tokensSeen, double valLoss) throws java.io.IOException {}

  /** A checkpoint was committed; called from the checkpoint writer's thread. */
  default void onCheckpoint(CheckpointWriter.Committed checkpoint) throws java.io.IOException {}

  /** A checkpoint could not be written (nothing of it is visible); from the writer's thread. */
  default void onCheckpointFailed(long step, boolean planned, String error) throws java.io.IOException {}
}
