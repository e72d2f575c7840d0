package io.ringtrain.checkpoint;

import java.io.IOException;

/** A checkpoint that cannot be trusted: incomplete, truncated, or failing its checksums. */
public final class CorruptCheckpointException extends IOException {
  public CorruptCheckpointException(String message) {
    super(message);
  }
}
