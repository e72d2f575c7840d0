package io.ringtrain.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.metrics.TensorBoardEvents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReporterTest {
  /** FLOPs per token that make 10k tokens/s exactly 100% MFU. */
  static final double FLOPS_PER_TOKEN = RunReporter.DEFAULT_PEAK_FLOPS / 10_000;

  interface Steps {
    void report(RunReporter reporter) throws IOException;
  }

  /**
   * Twenty steps of 1000 tokens reported back to back, as a launcher that was stopped drains the
   * reports queued meanwhile: the rate is the steps' own (10k tokens/s while they took 100 ms,
   * 6.7k at 150 ms), not their tokens over the microseconds between the reports.
   */
  @Test
  void rateIsTheStepsOwnEvenWhenTheirReportsArriveInABurst(@TempDir Path dir) throws Exception {
    assertEquals(List.of(
        "step 1/20 | loss 2.0000 | lr 1.00e-03 | 10.0k tok/s | MFU 100.0% | ETA",
        "step 10/20 | loss 2.0000 | lr 1.00e-03 | 10.0k tok/s | MFU 100.0% | ETA",
        "step 20/20 | loss 2.0000 | lr 1.00e-03 | 6666 tok/s | MFU 66.7% | ETA"),
        progressLines(dir, reporter -> {
          for (long s = 1; s <= 20; s++) reporter.step(s, 20, 2.0, 1e-3, 1.0, 1000, 1000 * s, s <= 10 ? 100 : 150, 0);
        }));
  }

  /** The all-reduce time is part of a step; a window of steps that took no time shows no rate. */
  @Test
  void rateCountsTheAllReduceAndIsNotMadeUpFromNothing(@TempDir Path dir) throws Exception {
    assertEquals(List.of(
        "step 1/2 | loss 2.0000 | lr 1.00e-03 | 10.0k tok/s | MFU 100.0% | ETA",
        "step 2/2 | loss 2.0000 | lr 1.00e-03 | - tok/s | MFU - | ETA"),
        progressLines(dir, reporter -> {
          reporter.step(1, 2, 2.0, 1e-3, 1.0, 1000, 1000, 50, 50);
          reporter.step(2, 2, 2.0, 1e-3, 1.0, 1000, 2000, 0, 0);
        }));
  }

  /** The progress lines a reporter logging every 10 steps prints for {@code steps}, ETAs cut off. */
  private static List<String> progressLines(Path dir, Steps steps) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    FileSystem fs = FileSystem.get(dir.toUri(), HadoopConf.configuration());
    org.apache.hadoop.fs.Path runDir = new org.apache.hadoop.fs.Path(dir.toUri());
    try (MetricsLog metrics = MetricsLog.open(fs, runDir, -1);
         TensorBoardEvents tensorboard = TensorBoardEvents.open(fs, runDir, -1)) {
      steps.report(new RunReporter(new PrintStream(printed, true, StandardCharsets.UTF_8), metrics, tensorboard,
          FLOPS_PER_TOKEN, 10));
    }
    return printed.toString(StandardCharsets.UTF_8).lines().map(l -> l.replaceAll("ETA .*", "ETA")).toList();
  }
}
