package io.ringtrain.hdfs;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real in-process HDFS (one NameNode, one DataNode) for tests. Test classes share one per JVM
 * through {@link Shared}: it starts in seconds, and every class paid that start before.
 */
final class MiniHdfs implements AutoCloseable {
  /** The smallest block a client may ask for: quotas are charged a block at a time, so small ones test them. */
  static final long MIN_BLOCK_BYTES = 64 * 1024;

  private final MiniDFSCluster cluster;

  MiniHdfs(File baseDir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());
    conf.setInt("dfs.replication", 1);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", MIN_BLOCK_BYTES);
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  Configuration conf() {
    return cluster.getConfiguration(0);
  }

  FileSystem fs() throws IOException {
    return cluster.getFileSystem();
  }

  /** A client of its own that writes {@code blockBytes} blocks (at least {@link #MIN_BLOCK_BYTES}); close it. */
  DistributedFileSystem fs(long blockBytes) throws IOException {
    Configuration conf = new Configuration(conf());
    conf.setLong("dfs.blocksize", blockBytes);
    return (DistributedFileSystem) FileSystem.newInstance(fs().getUri(), conf);
  }

  /** hdfs://host:port of the NameNode. */
  String uri() throws IOException {
    return fs().getUri().toString();
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }

  /**
   * Hands a test's {@code MiniHdfs} parameter this JVM's one cluster: started on first use and
   * closed by JUnit when the whole run ends. Each test keeps to paths of its own.
   */
  static final class Shared implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == MiniHdfs.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context.getRoot().getStore(ExtensionContext.Namespace.create(MiniHdfs.class))
          .getOrComputeIfAbsent(MiniHdfs.class, k -> start(), MiniHdfs.class);
    }

    private static MiniHdfs start() {
      try {
        // MiniDFSCluster.shutdown(true) deletes this directory.
        return new MiniHdfs(Files.createTempDirectory("mini-hdfs").toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
