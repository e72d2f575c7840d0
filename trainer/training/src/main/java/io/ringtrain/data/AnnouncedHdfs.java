package io.ringtrain.data;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * HDFS as {@link HadoopConf#configuration()} reaches it: the NameNode is asked once when the
 * filesystem is opened, a line on stderr says so when it is slow to answer, and a NameNode that
 * does not answer within the bounded RPC timeout is named in the error (exit 3), instead of a
 * silent wait of minutes in the middle of a command.
 */
public class AnnouncedHdfs extends DistributedFileSystem {
  /** A healthy NameNode answers in milliseconds; after this long the user is told what we wait for. */
  static final long NOTICE_AFTER_MS = 1000;

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
    String nameNode = uri.getScheme() + "://" + uri.getAuthority();
    long timeoutMs = conf.getLong(HadoopConf.RPC_TIMEOUT_KEY, 0);
    CompletableFuture<Void> notice = CompletableFuture.runAsync(
        () -> System.err.println("waiting for the NameNode at " + nameNode + " (no answer yet; giving up after "
            + timeoutMs / 1000 + " s, " + HadoopConf.RPC_TIMEOUT_KEY + ")"),
        CompletableFuture.delayedExecutor(NOTICE_AFTER_MS, TimeUnit.MILLISECONDS));
    try {
      getFileStatus(new Path("/"));
    } catch (IOException e) {
      close();
      throw new IOException("the NameNode at " + nameNode + " did not answer (" + e.getMessage()
          + "): is it running, and is this its RPC address?", e);
    } finally {
      notice.cancel(false);
    }
  }
}
