package io.ringtrain.hdfs;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/** A real in-process HDFS (one NameNode, one DataNode) for tests, in a temporary directory. */
final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  MiniHdfs(File baseDir) throws IOException {
    this(baseDir, 128L << 20);
  }

  /** With {@code blockBytes} blocks (quotas are charged a block at a time). */
  MiniHdfs(File baseDir, long blockBytes) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());
    conf.setInt("dfs.replication", 1);
    conf.setLong("dfs.blocksize", blockBytes);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", Math.min(blockBytes, 1 << 20));
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  Configuration conf() {
    return cluster.getConfiguration(0);
  }

  FileSystem fs() throws IOException {
    return cluster.getFileSystem();
  }

  /** hdfs://host:port of the NameNode. */
  String uri() throws IOException {
    return fs().getUri().toString();
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
