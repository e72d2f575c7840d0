package io.ringtrain.cli;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Output directories, checked before any long work starts so a bad path costs nothing. */
final class OutputDirs {
  private OutputDirs() {}

  /**
   * Makes {@code dir} and proves it writable. An existing non-empty directory is refused unless
   * {@code overwrite}, so a typo never destroys earlier results.
   */
  static FileSystem prepare(Path dir, Configuration conf, boolean overwrite) throws IOException {
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
      throw new UserFacingFailure(ExitCodes.IO_ERROR, "cannot write to output directory " + dir + ": "
          + e.getMessage() + " (check the path, its permissions and that the filesystem is reachable)");
    }
  }
}
