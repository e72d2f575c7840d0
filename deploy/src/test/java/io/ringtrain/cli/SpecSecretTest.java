package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A secret given in the spec authenticates the job's processes and is written to no file. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SpecSecretTest {
  static final String SECRET = "spec-secret-0b5e7d";

  @Test
  void noFileOfTheRunHoldsTheSpecsSecret(@TempDir Path tmp) throws Exception {
    Cli.tokenizeDemoHead(tmp.resolve("data"), 200, "--vocab-size", "300");
    Path spec = tmp.resolve("spec.txt");
    Files.writeString(spec, "cluster { secret: \"" + SECRET + "\" }\n");
    Path run = tmp.resolve("run");
    Cli.Result r = Cli.run("train", "--spec", spec.toString(), "--data", tmp.resolve("data").toString(), "--out",
        run.toString(), "--layers", "1", "--heads", "2", "--width", "32", "--context", "32", "--batch", "2",
        "--steps", "2", "--threads", "1", "--eval-interval", "1", "--eval-batches", "1", "--checkpoint-every", "1");
    assertEquals(0, r.code(), r.all());
    assertFalse(r.all().contains(SECRET), r.all());
    List<Path> files;
    try (Stream<Path> walk = Files.walk(run)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    List<String> names = files.stream().map(f -> run.relativize(f).toString()).toList();
    assertTrue(names.containsAll(List.of("spec.json", "metrics.jsonl", "checkpoints/1/manifest.json",
        "checkpoints/1/manifest.pb", "checkpoints/2/manifest.pb")), names.toString());
    for (Path f : files) {
      // Latin-1 maps every byte to one char: a binary file is searched byte for byte.
      String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      assertFalse(bytes.contains(SECRET), run.relativize(f) + " holds the secret");
    }
  }
}
