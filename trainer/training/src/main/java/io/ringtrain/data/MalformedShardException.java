package io.ringtrain.data;

import java.io.IOException;

/** A file that is not a readable token shard; the message says what is wrong with it. */
public final class MalformedShardException extends IOException {
  public MalformedShardException(String message) {
    super(message);
  }
}
