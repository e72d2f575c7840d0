package io.ringtrain.corpus;

import java.io.IOException;

/** Input that cannot be tokenized as text; the message names the file and what is wrong. */
public final class MalformedCorpusException extends IOException {
  public MalformedCorpusException(String message) {
    super(message);
  }
}
