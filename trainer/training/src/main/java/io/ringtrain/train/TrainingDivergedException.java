package io.ringtrain.train;

/** The loss or the gradients stopped being finite; the run stops and keeps its last good checkpoint. */
public final class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
