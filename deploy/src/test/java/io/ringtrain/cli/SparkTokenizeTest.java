package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.ExitCodes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tokenize --master local[2]} leaves the very bytes the local {@code tokenize} leaves. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SparkTokenizeTest {
  @TempDir static Path tmp;

  /** Three files of the demo corpus, one gzipped, of unequal sizes: 300, 120 and 500 lines. */
  @BeforeAll
  static void corpus() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("corpus"));
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(Cli.demoCorpus())), StandardCharsets.UTF_8))) {
      copyLines(r, Files.newOutputStream(dir.resolve("a.txt")), 300);
      copyLines(r, new GZIPOutputStream(Files.newOutputStream(dir.resolve("b.txt.gz"))), 120);
      copyLines(r, Files.newOutputStream(dir.resolve("c.txt")), 500);
    }
  }

  private static void copyLines(BufferedReader r, OutputStream out, int lines) throws IOException {
    try (Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8)) {
      for (int i = 0; i < lines; i++) w.write(r.readLine() + "\n");
    }
  }

  /** Training stops inside the second file; shards of 20,000 tokens straddle the files. */
  @Test
  void sparkOutputIsByteIdenticalToLocal() throws IOException {
    String[] options = {"tokenize", "--input", tmp.resolve("corpus").toString(), "--vocab-size", "400", "--train-bytes", "60000",
        "--shard-tokens", "20000", "--val-fraction", "0.05"};
    Cli.Result local = Cli.run(concat(options, "--output", tmp.resolve("local").toString()));
    assertEquals(0, local.code(), local.all());
    Cli.Result spark = Cli.run(concat(options, "--output", tmp.resolve("spark").toString(), "--master", "local[2]"));
    assertEquals(0, spark.code(), spark.all());
    assertEquals(local.out().replace("/local", "/spark"), spark.out());
    List<String> files = listing(tmp.resolve("local"));
    assertTrue(files.contains("train_000002.bin") && files.contains("val_000000.bin"), files.toString());
    assertEquals(files, listing(tmp.resolve("spark")));
    for (String f : files) {
      assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)),
          Files.readAllBytes(tmp.resolve("spark").resolve(f)), f + " differs");
    }
  }

  @Test
  void aWrongMasterIsABadRequest() {
    Cli.Result r = Cli.run("tokenize", "--input", tmp.resolve("corpus").toString(), "--output",
        tmp.resolve("wrong").toString(), "--master", "lokal[2]");
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("--master lokal[2] is not a Spark master URL"), r.err());
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
    }
  }

  private static String[] concat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }
}
