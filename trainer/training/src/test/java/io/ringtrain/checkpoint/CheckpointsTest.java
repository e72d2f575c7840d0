package io.ringtrain.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.proto.CheckpointManifest;
import io.ringtrain.proto.DataCursor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
  @TempDir java.nio.file.Path tmp;

  FileSystem fs() throws IOException {
    return FileSystem.get(tmp.toUri(), HadoopConf.configuration());
  }

  Map<String, float[]> tensors(float seed) {
    Map<String, float[]> t = new LinkedHashMap<>();
    float[] params = new float[200_003];
    for (int i = 0; i < params.length; i++) params[i] = seed + (float) Math.sin(i);
    t.put("params", params);
    t.put("adam_m", new float[] {seed, -0f, Float.MIN_VALUE, Float.NaN});
    return t;
  }

  CheckpointManifest manifest(long step) {
    return CheckpointManifest.newBuilder().setStep(step).setTokensSeen(step * 100)
        .setCursor(DataCursor.newBuilder().setEpoch(1).setPosition(step).setSeed(5)).build();
  }

  @Test
  void roundTripsBitForBitAndListsInStepOrder() throws IOException {
    Path run = new Path(tmp.toString());
    Checkpoints.write(fs(), run, manifest(10), tensors(1));
    Checkpoints.write(fs(), run, manifest(2), tensors(2));
    List<Path> all = Checkpoints.complete(fs(), run);
    assertEquals(List.of("2", "10"), all.stream().map(Path::getName).toList());
    Checkpoints.Loaded l = Checkpoints.load(fs(), Checkpoints.latest(fs(), run).orElseThrow());
    assertEquals(10, l.manifest().getStep());
    assertEquals(5, l.manifest().getCursor().getSeed());
    assertEquals(List.of("params", "adam_m"), List.copyOf(l.tensors().keySet()));
    for (var e : tensors(1).entrySet()) {
      float[] want = e.getValue();
      float[] got = l.tensors().get(e.getKey());
      assertEquals(want.length, got.length);
      for (int i = 0; i < want.length; i++) {
        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]));
      }
    }
    assertTrue(Files.exists(tmp.resolve("checkpoints/10/manifest.json")));
  }

  @Test
  void halfWrittenCheckpointIsInvisibleAndCleanedUp() throws IOException {
    Path run = new Path(tmp.toString());
    Checkpoints.write(fs(), run, manifest(1), tensors(1));
    Files.createDirectories(tmp.resolve("checkpoints/.tmp-2-crashed"));
    Files.write(tmp.resolve("checkpoints/.tmp-2-crashed/params.f32"), new byte[12]);
    Files.createDirectories(tmp.resolve("checkpoints/3")); // no manifest: not complete
    assertEquals("1", Checkpoints.latest(fs(), run).orElseThrow().getName());
    Checkpoints.write(fs(), run, manifest(4), tensors(4));
    assertTrue(Files.notExists(tmp.resolve("checkpoints/.tmp-2-crashed")));
  }

  @Test
  void truncatedOrAlteredFilesAreRefusedByName() throws IOException {
    Path run = new Path(tmp.toString());
    Path dir = Checkpoints.write(fs(), run, manifest(7), tensors(1));
    java.nio.file.Path params = tmp.resolve("checkpoints/7/params.f32");
    try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
      f.seek(1000);
      f.write(42);
    }
    CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> Checkpoints.load(fs(), dir));
    assertTrue(e.getMessage().contains("params.f32") && e.getMessage().contains("SHA-256"), e.getMessage());
    try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
      f.setLength(400);
    }
    e = assertThrows(CorruptCheckpointException.class, () -> Checkpoints.load(fs(), dir));
    assertTrue(e.getMessage().contains("400 bytes"), e.getMessage());
  }

  @Test
  void pruneKeepsTheNewest() throws IOException {
    Path run = new Path(tmp.toString());
    for (long s = 1; s <= 4; s++) Checkpoints.write(fs(), run, manifest(s), tensors(s));
    Checkpoints.prune(fs(), run, 2);
    assertEquals(List.of("3", "4"), Checkpoints.complete(fs(), run).stream().map(Path::getName).toList());
  }
}
