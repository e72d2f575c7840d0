package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.ShardSet;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** The user's path through the CLI, in order: tokenize, train, resume, eval, sample, export, plot. */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PipelineTest {
  @TempDir static Path tmp;
  static Path corpus;
  static List<String> documents = new ArrayList<>();

  /** 1,500 Europarl documents from the demo corpus the build fetched. */
  @BeforeAll
  static void corpus() throws IOException {
    Path demo = Cli.demoCorpus();
    assertTrue(Files.exists(demo), "the build should have unpacked the demo corpus to " + demo);
    corpus = tmp.resolve("europarl-head.txt");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(demo)),
        StandardCharsets.UTF_8)); OutputStream out = Files.newOutputStream(corpus)) {
      String line;
      while (documents.size() < 1500 && (line = r.readLine()) != null) {
        if (line.isEmpty()) continue;
        documents.add(line);
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  static String data() {
    return tmp.resolve("data").toString();
  }

  static String run() {
    return tmp.resolve("run").toString();
  }

  static String[] trainArgs(String out) {
    return new String[] {"train", "--data", data(), "--out", out, "--layers", "2", "--heads", "2", "--width", "32",
        "--context", "32", "--batch", "4", "--steps", "12", "--checkpoint-every", "4", "--eval-interval", "6",
        "--eval-batches", "2", "--threads", "2", "--lr", "0.003"};
  }

  @Test
  @Order(1)
  void tokenizeWritesShardsThatDecodeToTheCorpus() throws Exception {
    Cli.Result r = Cli.run("tokenize", "--input", corpus.toString(), "--output", data(), "--vocab-size", "512",
        "--val-fraction", "0.1", "--shard-tokens", "200000");
    assertEquals(0, r.code(), r.all());
    JsonObject meta = JsonParser.parseString(Files.readString(tmp.resolve("data/meta.json"))).getAsJsonObject();
    assertEquals(512, meta.get("vocab_size").getAsInt());
    assertEquals(1500, meta.get("documents").getAsLong());
    ByteLevelBpe bpe = ByteLevelBpe.fromJson(Files.readString(tmp.resolve("data/tokenizer.json")), "tokenizer.json");
    assertEquals(512, bpe.vocabSize());

    try (ShardSet train = ShardSet.open(data() + "/train_*.bin", HadoopConf.configuration());
         ShardSet val = ShardSet.open(data() + "/val_*.bin", HadoopConf.configuration())) {
      assertEquals(meta.get("train_tokens").getAsLong(), train.tokens());
      assertEquals(meta.get("val_tokens").getAsLong(), val.tokens());
      assertTrue(train.shards().size() >= 2, "--shard-tokens splits the train tokens");
      assertTrue(train.maxToken() < 512);
      // Every 10th document (0, 10, ...) is validation; the rest, in order, is training.
      assertEquals(join(documents, true), decode(bpe, val));
      assertEquals(join(documents, false), decode(bpe, train));
    }
  }

  static String join(List<String> docs, boolean val) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < docs.size(); i++) if ((i % 10 == 0) == val) s.append("<|endoftext|>").append(docs.get(i));
    return s.toString();
  }

  static String decode(ByteLevelBpe bpe, ShardSet shards) throws IOException {
    int[] ids = new int[(int) shards.tokens()];
    shards.read(0, ids.length, ids, 0);
    StringBuilder s = new StringBuilder();
    int from = 0;
    for (int i = 0; i <= ids.length; i++) {
      if (i == ids.length || ids[i] == bpe.endOfText()) {
        if (i > from) s.append(bpe.decodeString(java.util.Arrays.copyOfRange(ids, from, i)));
        if (i < ids.length) s.append("<|endoftext|>");
        from = i + 1;
      }
    }
    return s.toString();
  }

  @Test
  @Order(2)
  void trainThenResumeRepeatsEveryLaterLoss() throws Exception {
    Cli.Result r = Cli.run(trainArgs(run()));
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("plan: ") && r.out().contains("step 12/12"), r.out());
    List<Double> whole = losses(run());
    assertEquals(12, whole.size());

    // Simulate a crash after step 11: the planned checkpoint 9 (75% of the budget) is the newest to survive.
    Path crashed = tmp.resolve("crashed");
    copy(Path.of(run()), crashed);
    deleteTree(crashed.resolve("checkpoints/12"));
    Cli.Result resumed = Cli.run("resume", crashed.toString());
    assertEquals(0, resumed.code(), resumed.all());
    assertTrue(resumed.out().contains("checkpoints/9 (step 9)"), resumed.out());
    assertEquals(whole, losses(crashed.toString()), "resumed losses differ from the uninterrupted run's");
  }

  /**
   * A model that learned only token frequencies would score the unigram entropy of the validation
   * tokens; context must take a real model well below it within a short run.
   */
  @Test
  @Order(3)
  void shortRunOnRealTextFallsWellBelowTheUnigramEntropy() throws Exception {
    String out = tmp.resolve("learn").toString();
    Cli.Result r = Cli.run("train", "--data", data(), "--out", out, "--layers", "2", "--heads", "2", "--width", "64",
        "--context", "64", "--batch", "8", "--steps", "400", "--eval-interval", "400", "--eval-batches", "4",
        "--lr", "0.006", "--threads", "2", "--checkpoint-at", "1");
    assertEquals(0, r.code(), r.all());
    double unigram;
    try (ShardSet val = ShardSet.open(data() + "/val_*.bin", HadoopConf.configuration())) {
      int[] ids = new int[(int) val.tokens()];
      val.read(0, ids.length, ids, 0);
      double[] counts = new double[512];
      for (int id : ids) counts[id]++;
      unigram = 0;
      for (double c : counts) if (c > 0) unigram -= c / ids.length * Math.log(c / ids.length);
    }
    FileSystem fs = FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
    double valLoss = MetricsLog.read(fs, new org.apache.hadoop.fs.Path(out, "metrics.jsonl")).stream()
        .filter(o -> o.get("type").getAsString().equals("val")).reduce((a, b) -> b).orElseThrow()
        .get("val_loss").getAsDouble();
    System.out.printf("unigram entropy %.3f nats, validation loss after 400 steps %.3f%n", unigram, valLoss);
    assertTrue(valLoss < unigram - 0.4, "val loss " + valLoss + " vs unigram entropy " + unigram);
  }

  static List<Double> losses(String runDir) throws IOException {
    FileSystem fs = FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
    List<Double> l = new ArrayList<>();
    for (JsonObject o : MetricsLog.read(fs, new org.apache.hadoop.fs.Path(runDir, "metrics.jsonl"))) {
      if (o.get("type").getAsString().equals("train")) l.add(o.get("loss").getAsDouble());
    }
    return l;
  }

  @Test
  @Order(3)
  void trainingIntoAnExistingRunIsRefusedAndTheRunKept() {
    Cli.Result r = Cli.run(trainArgs(run()));
    assertEquals(2, r.code());
    assertTrue(r.err().contains("ringtrain resume"), r.err());
  }

  @Test
  @Order(3)
  void shardsBeyondTheModelsVocabularyAreRefused() {
    Cli.Result r = Cli.run("train", "--data", data(), "--out", tmp.resolve("small-vocab").toString(), "--vocab", "300",
        "--steps", "1");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("declares a vocabulary of 512 but the model's vocabulary is 300"), r.err());
    Cli.Result raw = Cli.run("train", "--data", data() + "/val_000000.bin", "--vocab", "300", "--out",
        tmp.resolve("small-vocab2").toString(), "--steps", "1");
    assertEquals(2, raw.code(), raw.all());
  }

  @Test
  @Order(4)
  void evalPrintsLossAndPerplexity() {
    Cli.Result r = Cli.run("eval", "--checkpoint", run() + "/checkpoints/12", "--data", data() + "/val_*.bin",
        "--batch", "2", "--context", "16", "--batches", "3");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().matches("loss=\\d+\\.\\d+ ppl=\\d+\\.\\d+\\s*"), r.out());
    Cli.Result json = Cli.run("eval", "--checkpoint", run(), "--data", data() + "/val_*.bin", "--batches", "2", "--json");
    JsonObject o = JsonParser.parseString(json.out()).getAsJsonObject();
    assertEquals(Math.exp(o.get("loss").getAsDouble()), o.get("ppl").getAsDouble(), 1e-6);
    Cli.Result tooLong = Cli.run("eval", "--checkpoint", run(), "--data", data() + "/val_*.bin", "--context", "64");
    assertEquals(2, tooLong.code());
    assertTrue(tooLong.err().contains("--context=64 is outside 1..32"), tooLong.err());
  }

  @Test
  @Order(5)
  void sampleIsDeterministicForASeed() {
    Cli.Result a = Cli.run("sample", "--checkpoint", run(), "--prompt", "The", "--max-tokens", "20", "--seed", "7");
    Cli.Result b = Cli.run("sample", "--checkpoint", run(), "--prompt", "The", "--max-tokens", "20", "--seed", "7");
    assertEquals(0, a.code(), a.all());
    assertTrue(a.out().startsWith("The"), a.out());
    assertEquals(a.out(), b.out());
  }

  @Test
  @Order(6)
  void exportWritesHuggingFaceGpt2Safetensors() throws Exception {
    Path out = tmp.resolve("hf");
    Cli.Result r = Cli.run("export", "--checkpoint", run(), "--output", out.toString());
    assertEquals(0, r.code(), r.all());
    byte[] file = Files.readAllBytes(out.resolve("model.safetensors"));
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = (int) b.getLong(0);
    JsonObject header = JsonParser.parseString(new String(file, 8, headerLen, StandardCharsets.UTF_8)).getAsJsonObject();
    assertEquals(2 * 12 + 4 + 1, header.size(), "tensors of a 2-layer GPT-2 plus __metadata__");
    JsonObject wte = header.getAsJsonObject("transformer.wte.weight");
    assertEquals("[512,32]", wte.get("shape").toString(), "vocabulary padding stripped");
    JsonObject fc = header.getAsJsonObject("transformer.h.1.mlp.c_fc.weight");
    assertEquals("[32,128]", fc.get("shape").toString(), "Conv1D weights are (in, out)");

    // c_fc.weight[i][j] is our fcw[j][i]: check a few against the checkpoint's flat parameters.
    FileSystem fs = FileSystem.get(java.net.URI.create("file:///"), HadoopConf.configuration());
    float[] params = Checkpoints.load(fs, Checkpoints.latest(fs, new org.apache.hadoop.fs.Path(run())).orElseThrow())
        .tensors().get("params");
    var layout = new io.ringtrain.model.ParameterLayout(io.ringtrain.model.GptConfig.of(2, 2, 32, 32, 512, 64));
    long start = fc.getAsJsonArray("data_offsets").get(0).getAsLong();
    for (int[] ij : new int[][] {{0, 0}, {3, 100}, {31, 127}, {17, 5}}) {
      float exported = b.getFloat((int) (8 + headerLen + start + 4L * (ij[0] * 128 + ij[1])));
      assertEquals(params[layout.layer(1).fcw() + ij[1] * 32 + ij[0]], exported);
    }
    JsonObject config = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
    assertEquals("gpt2", config.get("model_type").getAsString());
    assertEquals(512, config.get("vocab_size").getAsInt());
    assertEquals(32, config.get("n_positions").getAsInt());
  }

  @Test
  @Order(7)
  void plotDrawsTheLossCurves() throws Exception {
    Path png = tmp.resolve("loss.png");
    Cli.Result r = Cli.run("plot", run(), tmp.resolve("crashed").toString(), "--output", png.toString());
    assertEquals(0, r.code(), r.all());
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(1000, img.getWidth());
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int x = 0; x < img.getWidth(); x += 3) for (int y = 0; y < img.getHeight(); y += 3) colours.add(img.getRGB(x, y));
    assertTrue(colours.size() > 10, "a blank image has " + colours.size() + " colours");
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }

  static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
    }
  }
}
