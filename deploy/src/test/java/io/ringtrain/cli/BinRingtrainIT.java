package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.ShardSet;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** bin/ringtrain as a user runs it: a real process on the packaged build. */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class BinRingtrainIT {
  @TempDir Path tmp;

  record Run(int code, String output) {}

  static Run ringtrain(String... args) throws Exception {
    Path root = Path.of(System.getProperty("ringtrain.root"));
    List<String> cmd = new ArrayList<>(List.of(root.resolve("bin/ringtrain").toString()));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("RINGTRAIN_NO_BUILD", "1"); // `mvn verify` has just packaged it
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "ringtrain " + cmd + " did not finish");
    return new Run(p.exitValue(), out);
  }

  @Test
  void helpAndUsageErrorsHaveTheirExitCodes() throws Exception {
    Run help = ringtrain("--help");
    assertEquals(0, help.code(), help.output());
    assertTrue(help.output().contains("tokenize") && help.output().contains("simulate"), help.output());
    Run bad = ringtrain("tokenize", "--input", tmp.resolve("nope").toString(), "--output", tmp.resolve("o").toString());
    assertEquals(2, bad.code(), bad.output());
    assertTrue(bad.output().contains("does not exist"), bad.output());
  }

  /** Ctrl-C (or SIGTERM) on `simulate` takes every worker JVM down with it. */
  @Test
  void stoppingSimulateStopsEveryWorker() throws Exception {
    Path corpus = tmp.resolve("head.txt");
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(Cli.demoCorpus())), StandardCharsets.UTF_8))) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < 200; i++) s.append(in.readLine()).append('\n');
      Files.writeString(corpus, s);
    }
    assertEquals(0, ringtrain("tokenize", "--input", corpus.toString(), "--output", tmp.resolve("d").toString(),
        "--vocab-size", "300").code());
    Path root = Path.of(System.getProperty("ringtrain.root"));
    ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/ringtrain").toString(), "simulate", "--workers", "2",
        "--threads", "1", "--data", tmp.resolve("d").toString(), "--out", tmp.resolve("run").toString(), "--layers",
        "1", "--heads", "2", "--width", "16", "--context", "16", "--batch", "2", "--steps", "1000000")
        .redirectErrorStream(true).redirectOutput(tmp.resolve("simulate.log").toFile());
    pb.environment().put("RINGTRAIN_NO_BUILD", "1");
    Process launcher = pb.start();
    Path metrics = tmp.resolve("run/metrics.jsonl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(Files.exists(metrics) && Files.size(metrics) > 0)) {
      assertTrue(launcher.isAlive() && System.nanoTime() < deadline, Files.readString(tmp.resolve("simulate.log")));
      Thread.sleep(100);
    }
    List<ProcessHandle> workers = launcher.descendants()
        .filter(p -> p.info().command().orElse("").endsWith("/java")).toList(); // the launcher's children
    assertEquals(2, workers.size(), "workers: " + workers);
    launcher.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the JVM runs its shutdown hooks
    assertTrue(launcher.waitFor(30, TimeUnit.SECONDS), "the launcher did not stop");
    for (ProcessHandle w : workers) {
      w.onExit().get(30, TimeUnit.SECONDS);
      assertTrue(!w.isAlive(), "orphan worker " + w.pid());
    }
  }

  @Test
  void tokenizesTheDemoCorpusWithA4096Vocabulary() throws Exception {
    Path out = tmp.resolve("europarl");
    Run r = ringtrain("tokenize", "--input", Cli.demoCorpus().toString(), "--vocab-size", "4096", "--output",
        out.toString());
    assertEquals(0, r.code(), r.output());
    JsonObject meta = JsonParser.parseString(Files.readString(out.resolve("meta.json"))).getAsJsonObject();
    assertEquals(4096, meta.get("vocab_size").getAsInt());
    ByteLevelBpe bpe = ByteLevelBpe.fromJson(Files.readString(out.resolve("tokenizer.json")), "tokenizer.json");
    assertEquals(4096, bpe.vocabSize());

    List<String> docs = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(Cli.demoCorpus())), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) if (!line.isEmpty()) docs.add(line);
    }
    assertEquals(docs.size(), meta.get("documents").getAsLong());
    try (ShardSet train = ShardSet.open(out + "/train_*.bin", HadoopConf.configuration());
         ShardSet val = ShardSet.open(out + "/val_*.bin", HadoopConf.configuration())) {
      assertEquals(meta.get("train_tokens").getAsLong(), train.tokens());
      assertEquals(meta.get("val_tokens").getAsLong(), val.tokens());
      assertTrue(train.tokens() > 5_000_000, "Europarl is about 7M tokens at 4096: " + train.tokens());
      // Round trip over the first 2,000 training documents (documents 0, 100, ... are validation).
      int[] ids = new int[2_000_000];
      train.read(0, ids.length, ids, 0);
      int doc = 1;
      int from = 1; // ids[0] is <|endoftext|>
      for (int i = 1; i < ids.length && doc < 2000; i++) {
        if (ids[i] == bpe.endOfText()) {
          assertEquals(docs.get(doc), bpe.decodeString(Arrays.copyOfRange(ids, from, i)), "document " + doc);
          doc++;
          if (doc % 100 == 0) doc++;
          from = i + 1;
        }
      }
      assertTrue(doc >= 2000, "2,000 documents fit in 2M tokens: checked " + doc);
    }
  }
}
