package io.ringtrain.kernels.opencl;

/** Why the OpenCL backend cannot run, in words for the user. */
public final class OpenClException extends RuntimeException {
  /** What went wrong; the command line maps it to an exit code. */
  public enum Kind {
    /** No OpenCL library, platform or device, or Aparapi fell back to Java threads. */
    UNAVAILABLE,
    /** --device matched no device. */
    NO_SUCH_DEVICE,
    /** The OpenCL compiler rejected the kernel (the message holds what Aparapi reported). */
    BUILD_FAILED,
    /** A buffer does not fit the device. */
    OUT_OF_MEMORY
  }

  private final Kind kind;

  public OpenClException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public OpenClException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
