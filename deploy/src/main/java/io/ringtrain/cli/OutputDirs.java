package io.ringtrain.cli;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Output directories, checked before any long work starts so a bad path costs nothing. */
final class OutputDirs {
  private OutputDirs() {}

  /** What a command writes into its output directory. */
  interface Contents {
    void write(FileSystem fs) throws IOException;
  }

  /**
   * Prepares {@code dir} (see {@link #prepare}) and writes {@code contents} into it. If writing
   * fails, what it wrote is removed, and the directory too when this call made it: a refused
   * request leaves nothing behind (as a failed Hadoop job's output committer aborts).
   */
  static void write(Path dir, Configuration conf, boolean overwrite, Contents contents) throws IOException {
    boolean made = !existsReachably(dir, conf);
    FileSystem fs = prepare(dir, conf, overwrite);
    try {
      contents.write(fs);
    } catch (IOException | RuntimeException e) {
      try {
        if (made) {
          fs.delete(dir, true);
        } else {
          for (FileStatus child : fs.listStatus(dir)) fs.delete(child.getPath(), true);
        }
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static boolean existsReachably(Path dir, Configuration conf) throws IOException {
    try {
      return dir.getFileSystem(conf).exists(dir);
    } catch (IOException e) {
      throw unwritable(dir, e);
    }
  }

  /**
   * Makes {@code dir} and proves it writable. An existing non-empty directory is refused unless
   * {@code overwrite}, so a typo never destroys earlier results.
   */
  private static FileSystem prepare(Path dir, Configuration conf, boolean overwrite) throws IOException {
    FileSystem fs;
    try {
      fs = dir.getFileSystem(conf);
      if (fs.exists(dir)) {
        FileStatus status = fs.getFileStatus(dir);
        if (!status.isDirectory()) {
          throw new UserFacingFailure(ExitCodes.BAD_INPUT, "output " + dir + " is a file, not a directory");
        }
        if (fs.listStatus(dir).length > 0) {
          if (!overwrite) {
            throw new UserFacingFailure(ExitCodes.BAD_INPUT, "output " + dir
                + " exists and is not empty: choose another directory or pass --overwrite");
          }
          fs.delete(dir, true);
        }
      }
      if (!fs.mkdirs(dir)) throw new IOException("mkdirs returned false");
      Path probe = new Path(dir, ".ringtrain-write-test");
      try (OutputStream out = fs.create(probe, true)) {
        out.write(0);
      }
      fs.delete(probe, false);
      return fs;
    } catch (UserFacingFailure e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw unwritable(dir, e);
    }
  }

  private static UserFacingFailure unwritable(Path dir, Exception e) {
    return new UserFacingFailure(ExitCodes.IO_ERROR, "cannot write to output directory " + dir + ": "
        + e.getMessage() + " (check the path, its permissions and that the filesystem is reachable)");
  }
}
