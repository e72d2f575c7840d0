package io.ringtrain.train;

import org.apache.hadoop.fs.Path;

/** What a run tells its host (the console, the metrics log, the coordinator) as it goes. */
public interface TrainingListener {
  default void onStep(StepResult step) throws java.io.IOException {}

  /** Validation loss after {@code step} steps ({@code tokensSeen} tokens across all ranks). */
  default void onEval(long step, long tokensSeen, double valLoss) throws java.io.IOException {}

  default void onCheckpoint(long step, Path dir) throws java.io.IOException {}
}
