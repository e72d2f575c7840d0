package io.ringtrain.launch;

/** A failure whose message is already written for the user, with the exit code it deserves. */
public final class UserFacingFailure extends RuntimeException {
  private final int exitCode;

  public UserFacingFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
