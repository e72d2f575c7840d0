package io.ringtrain.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.proto.tensorboard.Event;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event files' own rules; TensorBoardRunTest reads them with TensorBoard itself. */
class TensorBoardEventsTest {
  @TempDir java.nio.file.Path tmp;
  FileSystem fs;
  Path runDir;

  @BeforeEach
  void localRunDir() throws Exception {
    fs = FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
    runDir = new Path(tmp.toString());
  }

  /** Writes a train/loss scalar for each step of {@code from..to}. */
  private static void losses(TensorBoardEvents tb, long from, long to) {
    for (long s = from; s <= to; s++) tb.scalars(s, Map.of("train/loss", 1.0 / s));
  }

  private List<Long> steps() throws Exception {
    List<Long> steps = new ArrayList<>();
    for (Path f : TensorBoardEvents.eventFiles(fs, new Path(runDir, TensorBoardEvents.DIR))) {
      for (byte[] r : TensorBoardEvents.readRecords(fs, f)) {
        Event e = Event.parseFrom(r);
        if (e.hasSummary()) steps.add(e.getStep());
      }
    }
    return steps;
  }

  @Test
  void aRecordTornByAKillIsDroppedAndReopeningKeepsOnlyStepsUpToTheResumePoint() throws Exception {
    try (TensorBoardEvents tb = TensorBoardEvents.open(fs, runDir, -1)) {
      losses(tb, 1, 6);
    }
    // A writer killed mid-record leaves half a record at the end.
    Path file = TensorBoardEvents.eventFiles(fs, new Path(runDir, TensorBoardEvents.DIR)).get(0);
    try (OutputStream o = Files.newOutputStream(java.nio.file.Path.of(file.toUri()), StandardOpenOption.APPEND)) {
      o.write(new byte[] {40, 0, 0, 0, 0, 0, 0, 0, 1, 2});
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), steps());

    try (TensorBoardEvents tb = TensorBoardEvents.open(fs, runDir, 4)) {
      losses(tb, 5, 5);
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), steps());
    assertEquals(1, TensorBoardEvents.eventFiles(fs, new Path(runDir, TensorBoardEvents.DIR)).size());
  }

  @Test
  void aRewindDropsTheStepsARecoveredJobRepeats() throws Exception {
    try (TensorBoardEvents tb = TensorBoardEvents.open(fs, runDir, -1)) {
      losses(tb, 1, 6);
      tb.rewind(4);
      losses(tb, 5, 7);
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), steps());
  }
}
