package io.ringtrain.scaling;

/** A fit that cannot be made or did not succeed: too few or degenerate points, no convergence. */
public final class FitException extends RuntimeException {
  public FitException(String message) {
    super(message);
  }
}
