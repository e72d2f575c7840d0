package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.ExitCodes;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenCL backend from the command line (on PoCL in CI): {@code train --backend opencl}
 * follows {@code --backend java}'s loss curve, {@code devices} lists the device, and a --device
 * that matches nothing is refused with the list of devices.
 */
@Tag("opencl")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OpenClCliTest {
  @TempDir static Path tmp;

  @BeforeAll
  static void data() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 600, "--vocab-size", "384", "--val-fraction", "0.1");
  }

  static Cli.Result train(String out, String... backend) {
    List<String> args = new java.util.ArrayList<>(List.of("train", "--data",
        tmp.resolve("data").toString(), "--out", tmp.resolve(out).toString(), "--layers", "2",
        "--heads", "2", "--width", "32", "--context", "32", "--batch", "4", "--steps", "10",
        "--eval-interval", "5", "--eval-batches", "2", "--threads", "2", "--lr", "0.003"));
    args.addAll(List.of(backend));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  void trainOnOpenClFollowsTheJavaLossCurve() throws Exception {
    Cli.Result j = train("java", "--backend", "java");
    assertEquals(0, j.code(), j.all());
    Cli.Result c = train("opencl", "--backend", "opencl", "--device", "0");
    assertEquals(0, c.code(), c.all());
    assertTrue(c.all().contains("backend opencl: "), c.all());
    List<Double> lj = PipelineTest.losses(tmp.resolve("java").toString());
    List<Double> lc = PipelineTest.losses(tmp.resolve("opencl").toString());
    System.out.println("java   " + lj + "\nopencl " + lc);
    assertEquals(10, lc.size());
    for (int s = 0; s < lj.size(); s++) {
      assertEquals(lj.get(s), lc.get(s), 2e-3, "loss at step " + (s + 1));
    }
    Cli.Result e = Cli.run("eval", "--checkpoint", tmp.resolve("opencl").toString(), "--data",
        tmp.resolve("data").toString() + "/val_*.bin", "--batch", "2", "--batches", "2",
        "--backend", "opencl");
    assertEquals(0, e.code(), e.all());
  }

  @Test
  void devicesListsPoclAndAnUnknownDeviceIsRefused() {
    Cli.Result d = Cli.run("devices", "--json");
    assertEquals(0, d.code(), d.all());
    assertTrue(d.out().contains("\"compute_units\""), d.out());
    Cli.Result bad = train("bad", "--backend", "opencl", "--device", "no-such-device");
    assertEquals(ExitCodes.BAD_INPUT, bad.code(), bad.all());
    assertTrue(bad.err().contains("no OpenCL device matches --device no-such-device"), bad.all());
  }
}
