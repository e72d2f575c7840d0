package io.ringtrain.launch;

/** What the command's exit status means; scripts may rely on these. */
public final class ExitCodes {
  /** Done. */
  public static final int OK = 0;
  /** The work itself failed: a diverged loss, a dead worker, an internal error. */
  public static final int FAILED = 1;
  /** The request was wrong: a bad flag, job spec, path or input file. Nothing was changed. */
  public static final int BAD_INPUT = 2;
  /** The environment failed: an unwritable directory, an unreachable filesystem, a port in use. */
  public static final int IO_ERROR = 3;
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  public static final int INTERRUPTED = 130;

  private ExitCodes() {}
}
