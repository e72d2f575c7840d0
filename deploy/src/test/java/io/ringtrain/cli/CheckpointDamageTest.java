package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * A multi-worker run whose newest checkpoint is damaged in each way a disk, a person or a crash
 * can damage it. Every time {@code resume} names the file and the reason, passes it over, resumes
 * from the previous complete checkpoint, and ends with exactly the uninterrupted run's state.
 */
@Tag("slow")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CheckpointDamageTest {
  static final int STEPS = 20;
  @TempDir static Path tmp;
  static Path base;
  static List<String> finalDigests;
  static Map<Long, Double> losses;

  static String[] job(String out, String... more) {
    return job(out, 32, more);
  }

  static String[] job(String out, int width, String... more) {
    List<String> args = new ArrayList<>(List.of("simulate", "--workers", "2", "--data", tmp.resolve("data").toString(),
        "--out", tmp.resolve(out).toString(), "--layers", "1", "--heads", "2", "--width", Integer.toString(width), "--context", "32",
        "--batch", "2", "--steps", Integer.toString(STEPS), "--threads", "1", "--eval-interval", "0",
        "--checkpoint-every", "5"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @BeforeAll
  static void train() throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 300, "--vocab-size", "300");
    Cli.Result r = Cli.run(job("base", "--seed", "3"));
    assertEquals(0, r.code(), r.all());
    base = tmp.resolve("base");
    finalDigests = digests(base);
    losses = RecoveryTest.trainLosses(base.toString());
    assertEquals(STEPS, losses.size());
  }

  static List<String> digests(Path run) throws IOException {
    return RecoveryTest.digestsAt(run.toString(), STEPS);
  }

  /** A copy of the finished run, damaged by {@code damage}, resumed; returns the resume's result. */
  static Cli.Result damagedThenResumed(String name, Damage damage) throws Exception {
    Path run = tmp.resolve(name);
    copy(base, run);
    damage.apply(run.resolve("checkpoints"));
    Cli.Result r = Cli.run("resume", run.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().matches("(?s).*resuming from \\S*" + name + "/checkpoints/15 \\(step 15\\).*"), r.out());
    assertEquals(finalDigests, digests(run), "final parameters and moments");
    assertEquals(losses, RecoveryTest.trainLosses(run.toString()), "losses");
    return r;
  }

  interface Damage {
    void apply(Path checkpoints) throws Exception;
  }

  @Test
  void aTruncatedTensorIsNamedAndPassedOver() throws Exception {
    Cli.Result r = damagedThenResumed("truncated", c -> {
      try (RandomAccessFile f = new RandomAccessFile(c.resolve("20/params.f32").toFile(), "rw")) {
        f.setLength(6000);
      }
    });
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20/params\\.f32 has 6000 bytes.*"), r.out());
  }

  @Test
  void aFlippedByteInATensorFailsItsChecksum() throws Exception {
    Cli.Result r = damagedThenResumed("flipped", c -> flip(c.resolve("20/adam_m.f32"), 1000));
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20/adam_m\\.f32 fails its SHA-256.*"), r.out());
  }

  @Test
  void aFlippedByteInTheManifestIsCaught() throws Exception {
    // Double the learning rate inside the manifest: the exponent's lowest bit of lr = 1e-3.
    Cli.Result r = damagedThenResumed("manifest", c -> {
      Path m = c.resolve("20/manifest.pb");
      byte[] bytes = Files.readAllBytes(m);
      byte[] lr = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(1e-3).array();
      int at = indexOf(bytes, lr);
      assertTrue(at >= 0, "the manifest holds lr");
      bytes[at + 6] ^= 0x10;
      Files.write(m, bytes);
    });
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20/manifest\\.pb fails its SHA-256.*"), r.out());
  }

  @Test
  void aMissingManifestIsNamed() throws Exception {
    Cli.Result r = damagedThenResumed("no-manifest", c -> Files.delete(c.resolve("20/manifest.pb")));
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20 is not a complete checkpoint \\(no manifest.*"),
        r.out());
  }

  @Test
  void anotherModelsCheckpointIsRefused() throws Exception {
    Cli.Result other = Cli.run(job("wider", 64, "--seed", "3"));
    assertEquals(0, other.code(), other.all());
    Cli.Result r = damagedThenResumed("foreign-shape", c -> {
      delete(c.resolve("20"));
      copy(tmp.resolve("wider/checkpoints/20"), c.resolve("20"));
    });
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20 holds a model of shape .*n_embd=64.*"), r.out());
  }

  @Test
  void anotherRunsCheckpointOrAnotherStepsIsRefused() throws Exception {
    Cli.Result other = Cli.run(job("sibling", "--seed", "4"));
    assertEquals(0, other.code(), other.all());
    Cli.Result r = damagedThenResumed("foreign-run", c -> {
      delete(c.resolve("20"));
      copy(tmp.resolve("sibling/checkpoints/20"), c.resolve("20"));
      copy(c.resolve("10"), c.resolve("25"));
    });
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*25 holds the checkpoint of step 10, not of step 25.*"),
        r.out());
    assertTrue(r.out().matches("(?s).*skipping damaged checkpoint: \\S*20 belongs to another run.*"), r.out());
  }

  @Test
  void aHalfWrittenTemporaryDirectoryIsIgnored() throws Exception {
    damagedThenResumed("leftover", c -> {
      delete(c.resolve("20"));
      Path tmpDir = Files.createDirectories(c.resolve(".tmp-20-crashed"));
      Files.write(tmpDir.resolve("params.f32"), new byte[1234]);
    });
    assertTrue(Files.list(tmp.resolve("leftover/checkpoints")).noneMatch(p -> p.getFileName().toString()
        .startsWith(".tmp-")), "the next write removed the leftover");
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    return -1;
  }

  static void flip(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x01);
    }
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  static void delete(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }
}
