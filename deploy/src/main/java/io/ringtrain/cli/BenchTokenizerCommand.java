package io.ringtrain.cli;

import io.ringtrain.bench.TokenizerBench;
import io.ringtrain.launch.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain bench tokenizer}: BPE training and encoding throughput on the demo corpus. */
@Command(
    name = "tokenizer",
    mixinStandardHelpOptions = true,
    description = "Train a BPE vocabulary on the demo corpus and encode it: MB/s to train, MB/s to encode, tokens/byte.")
public final class BenchTokenizerCommand implements Callable<Integer> {
  @Option(names = "--corpus", paramLabel = "FILE.gz", description = "Gzipped text (default: the demo corpus).")
  Path corpus;

  @Option(names = "--vocab-size", defaultValue = "4096", description = "Vocabulary (default ${DEFAULT-VALUE}).")
  int vocabSize;

  @Option(names = "--max-bytes", defaultValue = "0", description = "Use the first N bytes (0: all; default ${DEFAULT-VALUE}).")
  long maxBytes;

  @Override
  public Integer call() throws Exception {
    System.out.print(TokenizerBench.run(corpus != null ? corpus : DemoCommand.demoCorpus(), vocabSize, maxBytes));
    return ExitCodes.OK;
  }
}
