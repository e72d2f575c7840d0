package io.ringtrain.data;

import org.apache.hadoop.conf.Configuration;

/** The Hadoop configuration every ringtrain component uses to reach file://, hdfs:// and others. */
public final class HadoopConf {
  /** How long an RPC waits for the NameNode's answer (Hadoop's default: 120 s). */
  static final String RPC_TIMEOUT_KEY = "ipc.client.rpc-timeout.ms";

  private HadoopConf() {}

  /**
   * Hadoop's default configuration (core-site.xml etc. from the classpath or HADOOP_CONF_DIR),
   * except that local files are written without .crc side files (ringtrain writes its own
   * checksums, and users look inside these directories), and that an unreachable or hung NameNode
   * fails in seconds, named, where a site file does not say otherwise.
   */
  public static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem");
    conf.setBoolean("fs.file.impl.disable.cache", true);
    unlessSiteSets(conf, "fs.hdfs.impl", AnnouncedHdfs.class.getName());
    // Hadoop's defaults retry a refused connection 10 times, a timed-out one 45 times (20 s each),
    // and wait 120 s for an answer: minutes of silence. These bound the whole wait to about 15 s.
    unlessSiteSets(conf, "ipc.client.connect.max.retries", "2");
    unlessSiteSets(conf, "ipc.client.connect.retry.interval", "500");
    unlessSiteSets(conf, "ipc.client.connect.timeout", "5000");
    unlessSiteSets(conf, "ipc.client.connect.max.retries.on.timeouts", "2");
    unlessSiteSets(conf, RPC_TIMEOUT_KEY, "15000");
    return conf;
  }

  /**
   * Sets {@code key} unless a site file or the caller did. (Configuration.setIfUnset never sets a
   * key that core-default.xml defines, which every one of these is.)
   */
  private static void unlessSiteSets(Configuration conf, String key, String value) {
    String[] sources = conf.getPropertySources(key);
    boolean onlyDefaults = sources == null
        || java.util.Arrays.stream(sources).allMatch(s -> s.endsWith("-default.xml"));
    if (onlyDefaults) conf.set(key, value);
  }
}
