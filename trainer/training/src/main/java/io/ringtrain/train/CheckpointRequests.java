package io.ringtrain.train;

/**
 * Checkpoints asked for from outside the plan: the coordinator's time-based safety checkpoints,
 * each for the first step boundary at or after a step it names.
 */
public interface CheckpointRequests {
  CheckpointRequests NONE = step -> false;

  /** Whether a save is due after {@code step}; a request that is due is then consumed. */
  boolean dueAt(long step);
}
