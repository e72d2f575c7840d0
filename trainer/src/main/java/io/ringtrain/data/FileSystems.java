package io.ringtrain.data;

import org.apache.hadoop.conf.Configuration;

/** The Hadoop configuration every ringtrain component uses to reach file://, hdfs:// and others. */
public final class FileSystems {
  private FileSystems() {}

  /**
   * Hadoop's default configuration (core-site.xml etc. from the classpath or HADOOP_CONF_DIR),
   * except that local files are written without .crc side files: ringtrain writes its own
   * checksums, and users look inside these directories.
   */
  public static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
    conf.setBoolean("fs.file.impl.disable.cache", true);
    // An unreachable NameNode should fail in seconds with a clear message, not retry for minutes.
    conf.setIfUnset("ipc.client.connect.max.retries", "2");
    conf.setIfUnset("ipc.client.connect.retry.interval", "500");
    conf.setIfUnset("ipc.client.connect.timeout", "5000");
    return conf;
  }
}
