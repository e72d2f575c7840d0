package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The careless user (issue 12): bad input gets exit code 2 and a line naming what is wrong, and
 * leaves nothing behind; what a command reports is what it did.
 */
@Timeout(120)
class CarelessInputTest {
  static final String[] TINY = {"--layers", "1", "--heads", "2", "--width", "32", "--context", "32", "--batch", "2",
      "--threads", "1"};

  @TempDir static Path shared;
  static Path dataset;
  static Path run;

  @TempDir Path tmp;

  /** A small text corpus, its dataset, and a 4-step run with checkpoints at steps 2 and 4. */
  @BeforeAll
  static void tinyRun() throws IOException {
    Path text = shared.resolve("corpus.txt");
    Random r = new Random(7);
    String[] words = "the quick brown fox jumps over a lazy dog and runs far away".split(" ");
    StringBuilder sb = new StringBuilder();
    for (int line = 0; line < 800; line++) {
      for (int w = 0; w < 12; w++) sb.append(words[r.nextInt(words.length)]).append(' ');
      sb.append('\n');
    }
    Files.writeString(text, sb);
    dataset = shared.resolve("ds");
    assertOk(Cli.run("tokenize", "--input", text.toString(), "--output", dataset.toString(), "--vocab-size", "300",
        "--val-fraction", "0.1"));
    run = shared.resolve("run");
    assertOk(Cli.run(args(List.of("train", "--data", dataset.toString(), "--out", run.toString(), "--steps", "4",
        "--checkpoint-at", "0.5,1", "--eval-interval", "0"))));
  }

  /** {@code head}, the tiny model's flags except those {@code more} gives, then {@code more}. */
  static String[] args(List<String> head, String... more) {
    List<String> all = new ArrayList<>(head);
    for (int i = 0; i < TINY.length; i += 2) {
      if (!List.of(more).contains(TINY[i])) all.addAll(List.of(TINY[i], TINY[i + 1]));
    }
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  static void assertOk(Cli.Result r) {
    assertEquals(0, r.code(), r.all());
  }

  static Cli.Result assertFails(int code, String expected, String... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(code, r.code(), r.all());
    assertTrue(r.err().contains(expected), "expected \"" + expected + "\" in:\n" + r.all());
    assertFalse(r.err().contains("\tat "), "a stack trace reached the user:\n" + r.err());
    return r;
  }

  /** A copy of the tiny run's checkpoint {@code step} whose params.f32 lost its last bytes. */
  Path damagedCheckpoint(int step) throws IOException {
    Path copy = tmp.resolve("damaged/checkpoints/" + step); // a checkpoint is named by its step
    Files.createDirectories(copy);
    try (var files = Files.list(run.resolve("checkpoints/" + step))) {
      for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
    }
    try (FileChannel c = FileChannel.open(copy.resolve("params.f32"), StandardOpenOption.WRITE)) {
      c.truncate(c.size() - 100);
    }
    return copy;
  }

  @Test
  void malformedTokenizerJsonIsBadInput() throws IOException {
    Path bad = tmp.resolve("tokenizer.json");
    Files.writeString(bad, "{\"model\": {\"vocab\": 12}}");
    assertFails(2, bad.toString(), "tokenize", "--input", shared.resolve("corpus.txt").toString(), "--tokenizer",
        bad.toString(), "--output", tmp.resolve("out").toString());
  }

  @Test
  void damagedCheckpointGivenDirectlyIsBadInputForEvalSampleAndExport() throws IOException {
    String ckpt = damagedCheckpoint(4).toString();
    assertFails(2, "params.f32", "eval", "--checkpoint", ckpt, "--data", dataset.toString(), "--threads", "1");
    assertFails(2, "params.f32", "sample", "--checkpoint", ckpt, "--max-tokens", "3", "--threads", "1");
    assertFails(2, "params.f32", "export", "--checkpoint", ckpt, "--output", tmp.resolve("hf").toString());
    assertFalse(Files.exists(tmp.resolve("hf")), "a refused export leaves no output directory");
  }

  @Test
  void malformedMetricsIsBadInputForPlot() throws IOException {
    Path dir = tmp.resolve("plotted");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("metrics.jsonl"), "{\"type\":\"train\",\"loss\":1,\"tokens\":5}\nnot json\n");
    assertFails(2, "line 2", "plot", dir.toString());
  }

  @Test
  void fitPlotsOntoAnExistingFileIsBadInput() throws IOException {
    Path csv = tmp.resolve("results.csv");
    StringBuilder rows = new StringBuilder("params,tokens,loss\n");
    double[] n = {1e5, 3e5, 1e6, 3e6};
    double[] d = {1e7, 3e7, 1e8};
    for (double p : n) {
      for (double t : d) rows.append(p).append(',').append(t).append(',')
          .append(1.7 + 400 / Math.pow(p, 0.34) + 400 / Math.pow(t, 0.28)).append('\n');
    }
    Files.writeString(csv, rows);
    Path file = tmp.resolve("plots-here");
    Files.writeString(file, "not a directory");
    assertFails(2, "--plots", "fit", "--input", csv.toString(), "--bootstrap", "0", "--plots", file.toString());
  }

  @Test
  void sampleRefusesANanTemperature() {
    assertFails(2, "--temperature=NaN", "sample", "--checkpoint", run.toString(), "--temperature", "NaN",
        "--max-tokens", "3", "--threads", "1");
  }

  @Test
  void plotSaysTheFileItWrote() throws IOException {
    Path x = tmp.resolve("X");
    Cli.Result r = Cli.run("plot", run.toString(), "--output", x.toString());
    assertOk(r);
    assertTrue(Files.exists(tmp.resolve("X.png")), "the PNG");
    assertTrue(r.out().contains("wrote " + x + ".png"), r.out());
  }

  @Test
  void evalSampleAndExportNameTheOlderCheckpointTheyFellBackTo() throws IOException {
    Path copy = tmp.resolve("run");
    Files.createDirectories(copy.resolve("checkpoints"));
    Files.copy(run.resolve("spec.json"), copy.resolve("spec.json"));
    for (int step : new int[] {2, 4}) {
      Files.createDirectories(copy.resolve("checkpoints/" + step));
      try (var files = Files.list(run.resolve("checkpoints/" + step))) {
        for (Path f : files.toList()) Files.copy(f, copy.resolve("checkpoints/" + step + "/" + f.getFileName()));
      }
    }
    try (FileChannel c = FileChannel.open(copy.resolve("checkpoints/4/params.f32"), StandardOpenOption.WRITE)) {
      c.truncate(1000);
    }
    String used = copy.resolve("checkpoints/2") + " (step 2)";
    List<String[]> commands = List.of(
        new String[] {"eval", "--checkpoint", copy.toString(), "--data", dataset.toString(), "--threads", "1",
            "--batches", "1", "--batch", "1"},
        new String[] {"sample", "--checkpoint", copy.toString(), "--max-tokens", "3", "--threads", "1"},
        new String[] {"export", "--checkpoint", copy.toString(), "--output", tmp.resolve("hf").toString()});
    for (String[] command : commands) {
      Cli.Result r = Cli.run(command);
      assertOk(r);
      assertTrue(r.err().contains("using ") && r.err().contains(used), command[0] + ":\n" + r.all());
    }
  }

  @Test
  void tokenizeRefusesACorpusThatLeavesNoTrainingTokens() throws IOException {
    Path oneLine = tmp.resolve("one-line.txt");
    Files.writeString(oneLine, "a single long document without a newline ".repeat(2000));
    Path out = tmp.resolve("one");
    assertFails(2, "no training tokens", "tokenize", "--input", oneLine.toString(), "--output", out.toString(),
        "--vocab-size", "260");
    assertFalse(Files.exists(out), "a refused tokenize leaves no output directory");
  }

  @Test
  void refusedTokenizeLeavesNothingBehind() throws IOException {
    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "");
    Path binary = tmp.resolve("noise.bin");
    byte[] noise = new byte[10_000];
    new Random(2).nextBytes(noise);
    Files.write(binary, noise);
    for (Path input : List.of(empty, binary)) {
      Path out = tmp.resolve("out-" + input.getFileName());
      Cli.Result r = Cli.run("tokenize", "--input", input.toString(), "--output", out.toString());
      assertEquals(2, r.code(), r.all());
      assertFalse(Files.exists(out), input + ": the output directory was left behind");
    }
    Path existing = tmp.resolve("existing-empty");
    Files.createDirectories(existing);
    Cli.Result r = Cli.run("tokenize", "--input", binary.toString(), "--output", existing.toString());
    assertEquals(2, r.code(), r.all());
    try (var left = Files.list(existing)) {
      assertEquals(List.of(), left.toList(), "an existing empty directory stays empty");
    }
  }

  /** Runs {@code command} with the tiny model and {@code more}; it must fail with {@code code} and leave no run. */
  void assertRefusedWithoutARun(int code, String expected, String command, String data, String... more) {
    Path out = tmp.resolve("refused-run");
    Cli.Result r = assertFails(code, expected, args(List.of(command, "--data", data, "--out", out.toString(),
        "--steps", "2"), more));
    assertFalse(Files.exists(out), "a refused " + command + " left " + out + " behind:\n" + r.all());
  }

  @Test
  void refusedTrainAndSimulateLeaveNoRunDirectory() throws IOException {
    Path emptyShards = tmp.resolve("empty-shards");
    Files.createDirectories(emptyShards);
    Files.write(emptyShards.resolve("train_000000.bin"), new byte[0]);
    String ds = dataset.toString();
    assertRefusedWithoutARun(2, "too few for one global batch", "train", emptyShards.toString());
    assertRefusedWithoutARun(2, "too few for one global batch", "train", ds, "--batch", "100000");
    assertRefusedWithoutARun(2, "evaluation shards hold", "train", ds, "--context", "2048");
    // 2.03G parameters fit one array, and their 33 GiB of weights, gradients and moments no test heap.
    assertRefusedWithoutARun(2, "the model needs about", "train", ds, "--layers", "160000", "--context", "8",
        "--batch", "1");
    assertRefusedWithoutARun(2, "cluster.threads=100000 is outside 1..1024", "train", ds, "--threads", "100000");
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Path spec = tmp.resolve("port.txtpb");
      Files.writeString(spec, "cluster { coordinator_port: " + taken.getLocalPort() + " }");
      assertRefusedWithoutARun(3, "coordinator cannot listen on 127.0.0.1:" + taken.getLocalPort(), "simulate", ds,
          "--workers", "2", "--spec", spec.toString());
    }
  }

  @Test
  void benchAllReduceNamesTheLimitOfItsSizes() {
    assertFails(2, "--mib=100000 is outside 1..8191", "bench", "allreduce", "--mib", "100000");
    assertFails(2, "--workers=100000 is outside 1..1024", "bench", "allreduce", "--workers", "100000");
    assertFails(2, "more than this machine's", "bench", "allreduce", "--workers", "1024", "--mib", "64");
  }

  @Test
  void threadCountsAreBoundedEverywhere() {
    assertFails(2, "--threads=100000 is outside 1..1024", "eval", "--checkpoint", run.toString(), "--data",
        dataset.toString(), "--threads", "100000");
    assertFails(2, "cluster.threads=100000 is outside 1..1024", "resume", run.toString(), "--threads", "100000");
  }
}
