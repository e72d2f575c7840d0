package io.ringtrain.tokenizer;

import java.io.IOException;

/** A tokenizer file that is not a valid byte-level BPE description; the message says why. */
public final class TokenizerFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public TokenizerFormatException(String message) {
    super(message);
  }

  public TokenizerFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
