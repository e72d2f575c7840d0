package io.ringtrain.cli;

import com.google.gson.Gson;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.ShardSet;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.train.EvalBatches;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain eval}: loss and perplexity of a checkpoint on a shard. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Loss and perplexity of a checkpoint on token shards: B sequences of T+1 consecutive tokens per batch",
      "from the shards' start, sequence i starting at token i*T, for K batches. Prints loss=<value> ppl=<value>."
    })
public final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "Checkpoint or run directory.")
  String checkpoint;

  @Option(names = "--data", required = true, paramLabel = "PATH", description = "Token shards (file, directory or glob).")
  String data;

  @Option(names = "--batch", defaultValue = "8", description = "Sequences per batch B (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--context", paramLabel = "T", description = "Sequence length T (default: the model's context).")
  Integer context;

  @Option(names = "--batches", defaultValue = "10", paramLabel = "K", description = "Batches K (default ${DEFAULT-VALUE}).")
  int batches;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: all cores).")
  int threads;

  @Mixin BackendOptions backendOptions;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || batches < 1) throw new IllegalArgumentException("--batch and --batches must be > 0");
    try (LoadedModel m = LoadedModel.load(checkpoint, threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), backendOptions);
         ShardSet shards = ShardSet.open(data, HadoopConf.configuration())) {
      int block = m.spec().getModel().getBlockSize();
      int t = context == null ? block : context;
      if (t < 1 || t > block) {
        throw new IllegalArgumentException("--context=" + t + " is outside 1.." + block + " (the model's context)");
      }
      int max = shards.maxToken();
      int vocab = m.spec().getModel().getVocabSize();
      if (max >= vocab) {
        throw new IllegalArgumentException(data + " holds token id " + max + " but the model's vocabulary is " + vocab);
      }
      EvalBatches eval = new EvalBatches(shards, batch, t, batches);
      if (eval.batches() < batches) {
        System.err.println("eval: " + data + " holds only " + eval.batches() + " batches of " + batch + "x" + (t + 1)
            + " tokens; scoring those");
      }
      double sum = 0;
      for (int k = 0; k < eval.batches(); k++) sum += eval.loss(m.model(), k);
      double loss = sum / eval.batches();
      if (json) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("loss", loss);
        o.put("ppl", Math.exp(loss));
        o.put("batches", eval.batches());
        o.put("tokens", (long) eval.batches() * batch * t);
        System.out.println(new Gson().toJson(o));
      } else {
        System.out.printf(Locale.ROOT, "loss=%.6f ppl=%.4f%n", loss, Math.exp(loss));
      }
    }
    return ExitCodes.OK;
  }
}
