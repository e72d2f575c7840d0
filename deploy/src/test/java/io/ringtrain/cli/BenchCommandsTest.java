package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The bench commands run for real on the smallest config and report what they measured. */
@Tag("slow")
class BenchCommandsTest {

  @Test
  void kernelsRunsTheJmhBenchmarkAndReportsGflops() {
    Cli.Result r = Cli.run("bench", "kernels", "--model", "S", "--only", "Matmul.*forward",
        "--warmups", "0", "--iterations", "1", "--threads", "1", "--json");
    assertEquals(0, r.code(), r.all());
    // The five projections of S: one JSON object each.
    String[] lines = r.out().strip().split("\n");
    assertEquals(5, lines.length, r.out());
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertTrue(o.get("kernel").getAsString().matches("matmul\\.\\w+\\.forward"), line);
      assertTrue(o.get("ms").getAsDouble() > 0, line);
      assertTrue(o.get("gflops").getAsDouble() > 0, line);
    }
  }

  @Test
  void kernelsNamesTheBenchmarksWhenNoneMatch() {
    Cli.Result r = Cli.run("bench", "kernels", "--only", "NoSuchKernel");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("matches no kernel benchmark"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void trainStepReportsTokensPerSecondAndMfu() {
    Cli.Result r = Cli.run("bench", "train", "--model", "S", "--steps", "10", "--threads", "1", "--warmup-seconds", "0",
        "--json");
    assertEquals(0, r.code(), r.all());
    JsonObject o = JsonParser.parseString(r.out().strip()).getAsJsonObject();
    assertEquals(875_264, o.get("params").getAsLong());
    // 6N + 12·L·C·T = 6·875264 + 12·4·128·128 (printed to 6 digits), against the default 245 GFLOP/s.
    assertEquals(6_038_016, o.get("flopsPerToken").getAsDouble(), 5);
    assertEquals(245e9, o.get("peakFlops").getAsDouble());
    assertTrue(o.get("tokensPerSecond").getAsDouble() > 0, r.out());
    assertTrue(o.get("mfu").getAsDouble() > 0 && o.get("mfu").getAsDouble() < 1, r.out());
    // Random tokens over 512 symbols: the loss starts near ln 512 = 6.24 and falls as the model
    // memorises the one batch it sees every step.
    double loss = o.get("lastLoss").getAsDouble();
    assertTrue(loss > 1 && loss < 6.3, r.out());
  }
}
