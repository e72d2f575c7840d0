package io.ringtrain.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HadoopConfTest {
  @Test
  void nameNodeWaitsAreBoundedByDefault() {
    Configuration conf = HadoopConf.configuration();
    assertTrue(conf.getInt("ipc.client.rpc-timeout.ms", 0) <= 20_000, "rpc timeout");
    assertTrue(conf.getInt("ipc.client.connect.max.retries", 99) <= 2, "retries on refusal");
    assertTrue(conf.getInt("ipc.client.connect.max.retries.on.timeouts", 99) <= 2, "retries on timeouts");
    assertTrue(conf.getInt("ipc.client.connect.timeout", 0) <= 5000, "connect timeout");
  }

  /** A NameNode that accepts connections and never answers: the wait is announced, bounded and named. */
  @Test
  @Timeout(60)
  void aHungNameNodeIsAnnouncedAndNamed() throws Exception {
    List<Socket> held = new ArrayList<>();
    try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) held.add(hung.accept());
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      Configuration conf = HadoopConf.configuration();
      conf.setInt("ipc.client.rpc-timeout.ms", 3000); // the default 15 s, shortened for the test
      String nameNode = "hdfs://127.0.0.1:" + hung.getLocalPort();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream oldErr = System.err;
      long start = System.nanoTime();
      IOException e;
      try {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        e = assertThrows(IOException.class, () -> new Path(nameNode + "/corpus.txt").getFileSystem(conf));
      } finally {
        System.setErr(oldErr);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 15, "took " + seconds + " s");
      assertTrue(e.getMessage().contains("the NameNode at " + nameNode + " did not answer"), e.getMessage());
      String notice = err.toString(StandardCharsets.UTF_8);
      assertTrue(notice.contains("waiting for the NameNode at " + nameNode), notice);
    } finally {
      for (Socket s : held) s.close();
    }
  }
}
