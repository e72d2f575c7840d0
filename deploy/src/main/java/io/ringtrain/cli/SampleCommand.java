package io.ringtrain.cli;

import com.google.gson.GsonBuilder;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.model.GptModel;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain sample}: text from a checkpoint, with temperature and top-k. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    description = "Generate text from a checkpoint, continuing a prompt.")
public final class SampleCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint or run directory.")
  String checkpoint;

  @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.json (default: the job's dataset's).")
  String tokenizer;

  @Option(names = "--prompt", defaultValue = "", description = "Text to continue (default: a new document).")
  String prompt;

  @Option(names = "--max-tokens", defaultValue = "200", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(names = "--temperature", defaultValue = "0.8", description = "Softmax temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "40", description = "Sample among the k likeliest tokens; 0 for all (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: all cores).")
  int threads;

  @Mixin BackendOptions backendOptions;

  @Option(names = "--json", description = "Print one JSON object instead of the text as it comes: the prompt's ids"
      + " (<|endoftext|> first), the generated ids and their text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!(temperature >= 0 && temperature < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("--temperature=" + temperature + " must be a finite number >= 0 (0 is greedy)");
    }
    if (topK < 0 || maxTokens < 0) throw new IllegalArgumentException("--top-k and --max-tokens must be >= 0");
    try (LoadedModel m = LoadedModel.load(checkpoint, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), backendOptions)) {
      String tok = tokenizer != null ? tokenizer : m.spec().getData().getTokenizer();
      if (tok.isEmpty()) throw new IllegalArgumentException("the job names no tokenizer: pass --tokenizer FILE");
      ByteLevelBpe bpe = loadTokenizer(tok);
      int[] promptIds = bpe.encode(prompt.getBytes(StandardCharsets.UTF_8));
      int[] ids = new int[1 + promptIds.length + maxTokens];
      ids[0] = bpe.endOfText();
      System.arraycopy(promptIds, 0, ids, 1, promptIds.length);
      int n = 1 + promptIds.length;
      // With --json nothing streams: the object is the whole output.
      PrintStream out = json ? new PrintStream(OutputStream.nullOutputStream()) : System.out;
      out.print(prompt);
      SplittableRandom rng = new SplittableRandom(seed);
      GptModel model = m.model();
      int block = model.config().blockSize();
      int vocab = model.config().vocabSize();
      for (int i = 0; i < maxTokens; i++) {
        int from = Math.max(0, n - block);
        int len = n - from;
        model.forward(Arrays.copyOfRange(ids, from, n), null, 1, len);
        int next = pick(model.logitsRow(len - 1), 0, vocab, rng);
        if (next == bpe.endOfText()) break;
        ids[n++] = next;
        out.write(bpe.tokenBytes(next));
        out.flush();
      }
      out.println();
      if (json) {
        int[] generated = Arrays.copyOfRange(ids, 1 + promptIds.length, n);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt_ids", Arrays.copyOf(ids, 1 + promptIds.length));
        o.put("ids", generated);
        o.put("text", bpe.decodeString(generated));
        System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(o));
      }
    }
    return ExitCodes.OK;
  }

  static ByteLevelBpe loadTokenizer(String file) throws java.io.IOException {
    Path p = new Path(file);
    try (InputStream in = p.getFileSystem(HadoopConf.configuration()).open(p)) {
      return ByteLevelBpe.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), file);
    }
  }

  /** Greedy at temperature 0; otherwise softmax(logits / temperature) over the top k. */
  private int pick(float[] logits, int off, int vocab, SplittableRandom rng) {
    if (temperature == 0) {
      int best = 0;
      for (int v = 1; v < vocab; v++) if (logits[off + v] > logits[off + best]) best = v;
      return best;
    }
    float cutoff = Float.NEGATIVE_INFINITY;
    if (topK > 0 && topK < vocab) {
      float[] sorted = Arrays.copyOfRange(logits, off, off + vocab);
      Arrays.sort(sorted);
      cutoff = sorted[vocab - topK];
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) max = Math.max(max, logits[off + v]);
    double[] p = new double[vocab];
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      if (logits[off + v] >= cutoff) {
        p[v] = Math.exp((logits[off + v] - max) / temperature);
        sum += p[v];
      }
    }
    double u = rng.nextDouble() * sum;
    for (int v = 0; v < vocab; v++) {
      u -= p[v];
      if (u <= 0 && p[v] > 0) return v;
    }
    return vocab - 1;
  }
}
