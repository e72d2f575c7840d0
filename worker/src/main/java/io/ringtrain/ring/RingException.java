package io.ringtrain.ring;

/** A ring failure: a peer that died, stalled, was refused, or sent something unreadable. */
public final class RingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RingException(String message) {
    super(message);
  }

  public RingException(String message, Throwable cause) {
    super(message, cause);
  }
}
