package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.metrics.MetricsLog;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our files through the real Hugging Face clients, from a venv of the on-disk wheels
 * ({@link PythonVenv}): {@code GPT2LMHeadModel.from_pretrained} on an export of a model trained
 * 60 steps on the demo corpus, the exported tokenizer.json in {@code tokenizers} and
 * transformers on the whole demo corpus, and {@code --init-from} on the export and on an llm.c
 * checkpoint written by a script from llm.c's documented layout.
 *
 * <p>Losses are compared at 1e-5 relative: both sides compute in float32 with different
 * summation orders (measured: a few 1e-8), while a transposed or misplaced tensor moves the loss
 * by whole units.
 */
@Tag("slow")
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class HuggingFaceRoundTripTest {
  private static final double FP32_RELATIVE = 1e-5;
  /** Eval batches: B sequences of T tokens, K of them, the same for every side. */
  private static final String B = "4";
  private static final String T = "64";
  private static final String K = "3";

  @TempDir static Path tmp;
  static Path data;
  static Path run;
  static Path export;

  /** A 500-token vocabulary (padded to 512 inside) on 3,000 Europarl lines, a model trained 60 steps, exported. */
  @BeforeAll
  static void trainAndExport() throws Exception {
    PythonVenv.python();
    data = tmp.resolve("data");
    Cli.tokenizeDemoHead(data, 3000, "--vocab-size", "500");
    run = tmp.resolve("run");
    Cli.Result r = Cli.run("train", "--data", data.toString(), "--out", run.toString(), "--layers", "2", "--heads", "2",
        "--width", "64", "--context", T, "--batch", "8", "--steps", "60", "--eval-interval", "30", "--eval-batches", K,
        "--threads", "2", "--lr", "0.01", "--warmup", "0.1");
    assertEquals(0, r.code(), r.all());
    export = tmp.resolve("export");
    r = Cli.run("export", "--checkpoint", run.toString(), "--output", export.toString());
    assertEquals(0, r.code(), r.all());
  }

  static String valShard() {
    return data.resolve("val_000000.bin").toString();
  }

  static double ourEvalLoss(Path checkpoint) {
    Cli.Result r = Cli.run("eval", "--checkpoint", checkpoint.toString(), "--data", valShard(), "--batch", B,
        "--batches", K, "--threads", "2", "--json");
    assertEquals(0, r.code(), r.all());
    return JsonParser.parseString(r.out().strip()).getAsJsonObject().get("loss").getAsDouble();
  }

  @Test
  void transformersLoadsTheExportAndAgreesOnLossAndGreedyTokens() throws Exception {
    double ours = ourEvalLoss(run);
    Cli.Result s = Cli.run("sample", "--checkpoint", run.toString(), "--prompt", "The Commission", "--temperature",
        "0", "--max-tokens", "40", "--threads", "2", "--json");
    assertEquals(0, s.code(), s.all());
    JsonObject sample = JsonParser.parseString(s.out().strip()).getAsJsonObject();
    String prompt = String.join(",", sample.getAsJsonArray("prompt_ids").asList().stream()
        .map(e -> e.getAsString()).toList());

    JsonObject hf = JsonParser.parseString(PythonVenv.runScript("hf_model_check.py", export.toString(), valShard(),
        B, T, K, prompt, "40")).getAsJsonObject();
    assertEquals(0, hf.getAsJsonArray("missing_keys").size(), "from_pretrained found tensors missing: " + hf);
    assertEquals(0, hf.getAsJsonArray("unexpected_keys").size(), "from_pretrained found extra tensors: " + hf);
    assertEquals(0, hf.getAsJsonArray("mismatched_keys").size(), "from_pretrained found wrong shapes: " + hf);
    double theirs = hf.get("loss").getAsDouble();
    assertEquals(ours, theirs, FP32_RELATIVE * ours, "loss: ringtrain eval " + ours + ", transformers " + theirs);
    assertEquals(sample.getAsJsonArray("ids"), hf.getAsJsonArray("generated"),
        "greedy tokens: ringtrain sample vs model.generate");
  }

  /**
   * The demo's own setting: a 4,096-token vocabulary on the whole demo corpus. Every line encodes
   * to our ids and our ids decode to the line, in tokenizers and in transformers; then the two
   * documented differences, each on a line made to show it.
   */
  @Test
  void exportedTokenizerEncodesAndDecodesTheDemoCorpusAsOursDoes() throws Exception {
    Path demoData = tmp.resolve("demo-data");
    Cli.Result r = Cli.run("tokenize", "--input", Cli.demoCorpus().toString(), "--vocab-size", "4096", "--output",
        demoData.toString());
    assertEquals(0, r.code(), r.all());
    Path demoRun = tmp.resolve("demo-run");
    r = Cli.run("train", "--data", demoData.toString(), "--out", demoRun.toString(), "--layers", "1", "--heads", "1",
        "--width", "16", "--context", "16", "--batch", "1", "--steps", "1", "--eval-interval", "0", "--threads", "2");
    assertEquals(0, r.code(), r.all());
    Path demoExport = tmp.resolve("demo-export");
    r = Cli.run("export", "--checkpoint", demoRun.toString(), "--output", demoExport.toString());
    assertEquals(0, r.code(), r.all());
    ByteLevelBpe bpe = ByteLevelBpe.load(demoData.resolve("tokenizer.json"));

    List<String> lines = lines(Cli.demoCorpus());
    JsonObject corpus = tokenizerCheck(demoExport, bpe, Cli.demoCorpus(), lines);
    assertEquals(lines.size(), corpus.get("lines").getAsInt());
    for (String check : List.of("encode_tokenizers", "encode_transformers", "decode_tokenizers",
        "decode_transformers")) {
      assertEquals(0, corpus.get(check + "_mismatches").getAsInt(), check + " differs from ours: " + corpus);
    }

    // Ours never makes <|endoftext|> from text; a run longer than 256 bytes is cut (PreTokenizer.MAX_PIECE).
    List<String> probes = List.of("a literal <|endoftext|> inside a document", "Parliament".repeat(30),
        "plain words stay equal");
    Path probeFile = tmp.resolve("probes.txt.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(probeFile))) {
      o.write((String.join("\n", probes) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    JsonObject probe = tokenizerCheck(demoExport, bpe, probeFile, probes);
    assertEquals("[0,1]", probe.get("encode_tokenizers_mismatch_lines").toString(), probe.toString());
    assertEquals("[0,1]", probe.get("encode_transformers_mismatch_lines").toString(), probe.toString());
    assertEquals(0, probe.get("decode_tokenizers_mismatches").getAsInt(), probe.toString());
  }

  /** Our ids of each line to a file, then bench/pytorch/hf_tokenizer_check.py on the same lines. */
  private static JsonObject tokenizerCheck(Path export, ByteLevelBpe bpe, Path corpus, List<String> lines)
      throws Exception {
    Path ids = Files.createTempFile(tmp, "ids", ".txt");
    try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(ids, StandardCharsets.UTF_8))) {
      StringBuilder sb = new StringBuilder();
      for (String line : lines) {
        sb.setLength(0);
        for (int id : bpe.encode(line)) sb.append(sb.length() == 0 ? "" : " ").append(id);
        w.println(sb);
      }
    }
    return JsonParser.parseString(PythonVenv.runScript("hf_tokenizer_check.py", export.toString(), corpus.toString(),
        ids.toString())).getAsJsonObject();
  }

  /** The lines of a gzipped text split at '\n' only, as Python's newline="\n" reads them. */
  private static List<String> lines(Path gz) throws IOException {
    String text;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    if (lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
    return lines;
  }

  /** The step-0 validation loss of a run started from {@code initFrom}, with the shape taken from it. */
  private static double stepZeroLoss(String name, String initFrom) throws IOException {
    Path out = tmp.resolve(name);
    Cli.Result r = Cli.run("train", "--data", data.toString(), "--out", out.toString(), "--init-from", initFrom,
        "--batch", B, "--steps", "1", "--eval-interval", "1", "--eval-batches", K, "--threads", "2");
    assertEquals(0, r.code(), r.all());
    JsonObject model = JsonParser.parseString(Files.readString(out.resolve("spec.json"))).getAsJsonObject()
        .getAsJsonObject("model");
    assertEquals(64, model.get("n_embd").getAsInt(), "the shape comes from the checkpoint: " + model);
    assertEquals(2, model.get("n_layer").getAsInt(), model.toString());
    FileSystem fs = FileSystem.get(java.net.URI.create("file:///"), io.ringtrain.data.HadoopConf.configuration());
    JsonObject first = MetricsLog.read(fs, new org.apache.hadoop.fs.Path(out.resolve(MetricsLog.FILE).toString()))
        .get(0);
    assertEquals("val", first.get("type").getAsString(), first.toString());
    assertEquals(0, first.get("step").getAsLong(), first.toString());
    return first.get("val_loss").getAsDouble();
  }

  @Test
  void initFromTheExportStartsAtTheExportsLoss() throws Exception {
    double eval = ourEvalLoss(run);
    double start = stepZeroLoss("from-export", export.toString());
    // The same float32 weights and kernels: only eval's double sum against training's float sum differs.
    assertEquals(eval, start, 1e-6 * eval, "step 0 of --init-from " + export + " vs eval of the run");
  }

  @Test
  void initFromAnLlmcCheckpointStartsAtTheSameLoss() throws Exception {
    double eval = ourEvalLoss(run);
    Path fp32 = tmp.resolve("model-fp32.bin");
    JsonObject w = JsonParser.parseString(PythonVenv.runScript("write_llmc_checkpoint.py", export.toString(),
        fp32.toString(), "float32")).getAsJsonObject();
    assertEquals(512, w.get("padded_vocab").getAsInt(), "llm.c pads the 500-token vocabulary: " + w);
    assertEquals(eval, stepZeroLoss("from-llmc", fp32.toString()), 1e-6 * eval);

    // bfloat16 keeps 8 significant bits: each weight moves by up to 2^-9 of itself, the loss by far less.
    Path bf16 = tmp.resolve("model-bf16.bin");
    PythonVenv.runScript("write_llmc_checkpoint.py", export.toString(), bf16.toString(), "bfloat16");
    double fromBf16 = stepZeroLoss("from-llmc-bf16", bf16.toString());
    assertEquals(eval, fromBf16, 1e-3 * eval, "bfloat16 checkpoint");
  }

  @Test
  void badInitFromIsABadRequestThatNamesTheProblem() throws Exception {
    Path cut = tmp.resolve("truncated");
    Files.createDirectories(cut);
    Files.copy(export.resolve("config.json"), cut.resolve("config.json"));
    byte[] st = Files.readAllBytes(export.resolve("model.safetensors"));
    Files.write(cut.resolve("model.safetensors"), Arrays.copyOf(st, st.length / 2));
    Cli.Result r = train("bad-truncated", cut.toString());
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("is truncated: tensor transformer.h."), r.err());

    r = train("bad-width", export.toString(), "--width", "32", "--heads", "2");
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("n_embd is 64 there but 32 here"), r.err());

    Path llmc = tmp.resolve("cut.bin");
    PythonVenv.runScript("write_llmc_checkpoint.py", export.toString(), llmc.toString(), "float32");
    byte[] bin = Files.readAllBytes(llmc);
    Files.write(llmc, Arrays.copyOf(bin, bin.length - 100));
    r = train("bad-llmc", llmc.toString());
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("is truncated: llm.c tensor lnfb"), r.err());

    Path notWeights = tmp.resolve("notes.txt");
    Files.writeString(notWeights, "not a checkpoint");
    r = train("bad-kind", notWeights.toString());
    assertEquals(ExitCodes.BAD_INPUT, r.code(), r.all());
    assertTrue(r.err().contains("neither an llm.c checkpoint"), r.err());
    for (String name : List.of("bad-truncated", "bad-width", "bad-llmc", "bad-kind")) {
      assertTrue(!Files.exists(tmp.resolve(name)), "a bad request writes nothing: " + name);
    }
  }

  private static Cli.Result train(String name, String initFrom, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--out",
        tmp.resolve(name).toString(), "--init-from", initFrom, "--batch", B, "--steps", "1", "--threads", "2"));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }
}
