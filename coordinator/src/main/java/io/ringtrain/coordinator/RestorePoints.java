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
  RestorePoints NONE = generation -> Optional.empty();

  /** The verified checkpoint {@code generation} restores, or empty for a fresh start. */
  Optional<RestorePoint> choose(int generation) throws IOException;
}
