package io.ringtrain.cli;

import io.ringtrain.checkpoint.CorruptCheckpointException;
import io.ringtrain.corpus.MalformedCorpusException;
import io.ringtrain.data.MalformedShardException;
import io.ringtrain.kernels.opencl.OpenClException;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.metrics.MalformedMetricsException;
import io.ringtrain.tokenizer.TokenizerFormatException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception from any subcommand into one clear line on stderr and a meaningful exit
 * code. A user sees what is wrong and what to do; only unexpected errors show a stack trace,
 * because those are bugs to report.
 */
final class ErrorReporter implements IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
    String name = cmd.getCommandName();
    int code = exitCode(cause);
    if (code == ExitCodes.FAILED && !(cause instanceof UserFacingFailure)) {
      cmd.getErr().println(name + ": internal error (please report it):");
      cause.printStackTrace(cmd.getErr());
    } else {
      cmd.getErr().println(name + ": " + message(cause));
    }
    return code;
  }

  static int exitCode(Throwable e) {
    if (e instanceof UserFacingFailure f) return f.exitCode();
    // A device that matches nothing is a bad request; no OpenCL, a driver that cannot build the
    // kernel or too little device memory is the environment.
    if (e instanceof OpenClException o) {
      return o.kind() == OpenClException.Kind.NO_SUCH_DEVICE ? ExitCodes.BAD_INPUT : ExitCodes.IO_ERROR;
    }
    // Files that exist but do not hold what they should are bad input, whichever the command.
    if (e instanceof IllegalArgumentException
        || e instanceof MalformedCorpusException
        || e instanceof MalformedShardException
        || e instanceof TokenizerFormatException
        || e instanceof CorruptCheckpointException
        || e instanceof MalformedMetricsException
        || e instanceof FileNotFoundException
        || e instanceof NoSuchFileException) {
      return ExitCodes.BAD_INPUT;
    }
    if (e instanceof InterruptedException) return ExitCodes.INTERRUPTED;
    if (e instanceof IOException) return ExitCodes.IO_ERROR;
    return ExitCodes.FAILED;
  }

  private static String message(Throwable e) {
    if (e instanceof AccessDeniedException a) {
      return "permission denied: " + a.getFile() + " (choose a directory you can write)";
    }
    if (e instanceof NoSuchFileException n) return "no such file: " + n.getFile();
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
