package io.ringtrain.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The worker process itself: a real JVM. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerMainTest {
  @Test
  void aWorkerWaitingForItsAssignmentExitsAtOnceWhenItsLauncherIsGone() throws Exception {
    // A coordinator that accepts and never speaks: the worker would wait 120 s for its challenge.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
          WorkerMain.class.getName(), "--coordinator", "127.0.0.1:" + silent.getLocalPort(), "--job-id", "j",
          "--rank", "0", "--exit-with-parent").redirectErrorStream(true);
      pb.environment().put("RINGTRAIN_SECRET", "s");
      Process worker = pb.start();
      try (Socket accepted = silent.accept()) {
        Thread.sleep(500); // joined and waiting
        assertTrue(worker.isAlive());
        long t0 = System.nanoTime();
        worker.getOutputStream().close(); // what the launcher's death does to the pipe
        assertTrue(worker.waitFor(10, TimeUnit.SECONDS), "still waiting for the coordinator");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String out = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ms < 3000, "exited " + ms + " ms after its launcher");
        assertTrue(out.contains("the launcher is gone"), out);
        assertEquals(1, worker.exitValue(), out);
      } finally {
        worker.destroyForcibly();
      }
    }
  }

  @Test
  void badArgumentsExitWithTwo() throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(), "--rank", "x"))
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
