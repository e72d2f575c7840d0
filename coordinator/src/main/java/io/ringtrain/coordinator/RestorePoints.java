package io.ringtrain.coordinator;

import io.ringtrain.proto.RestorePoint;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a generation starts from, chosen once for all its ranks by the launcher, which can read
 * the run's checkpoints (the coordinator knows nothing of their format). Called off the event loop.
 */
@FunctionalInterface
public interface RestorePoints {
  /** Every generation starts fresh: nothing is ever restored. */
  RestorePoints NONE = (generation, recordedStep) -> Optional.empty();

  /**
   * The verified checkpoint {@code generation} restores, or empty for a fresh start. After a
   * failure it must be at most {@code recordedStep}, the last step every rank reported: workers cut
   * off from a paused coordinator may have checkpointed steps it never recorded, and restoring one
   * of those would leave a gap in the run's metrics.
   */
  Optional<RestorePoint> choose(int generation, long recordedStep) throws IOException;
}
