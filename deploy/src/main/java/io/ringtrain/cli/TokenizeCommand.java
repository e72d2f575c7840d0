package io.ringtrain.cli;

import io.ringtrain.corpus.CorpusSharder;
import io.ringtrain.corpus.MalformedCorpusException;
import io.ringtrain.corpus.TextCorpus;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.progress.ProgressLine;
import io.ringtrain.tokenizer.BpeTrainer;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain tokenize}: text on any Hadoop FileSystem to a tokenizer and token shards. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = {
      "Train (or load) a byte-level BPE tokenizer and write llm.c-format token shards.",
      "Input and output may be local paths or any Hadoop FileSystem URI (hdfs://, file://, ...)."
    })
public final class TokenizeCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "Text: a file, a directory tree or a glob; plain or compressed (.gz, .bz2, ...).")
  String input;

  @Option(names = "--output", required = true, paramLabel = "DIR",
      description = "Directory for tokenizer.json, train_*.bin, val_*.bin and meta.json.")
  String output;

  @Option(names = "--vocab-size", defaultValue = "4096", paramLabel = "N",
      description = "Vocabulary to train, including 256 byte tokens and <|endoftext|> (257..65535; default ${DEFAULT-VALUE}).")
  int vocabSize;

  @Option(names = "--tokenizer", paramLabel = "FILE",
      description = "Use this tokenizer.json instead of training one (--vocab-size is then ignored).")
  String tokenizer;

  @Option(names = "--documents", defaultValue = "lines", paramLabel = "lines|files",
      description = "What one document is: each non-empty line, or each file (default ${DEFAULT-VALUE}).")
  String documents;

  @Option(names = "--val-fraction", defaultValue = "0.01", paramLabel = "F",
      description = "Share of documents held out for validation: every round(1/F)-th (default ${DEFAULT-VALUE}).")
  double valFraction;

  @Option(names = "--shard-tokens", defaultValue = "100000000", paramLabel = "N",
      description = "Tokens per shard file (default ${DEFAULT-VALUE}, as llm.c).")
  long shardTokens;

  @Option(names = "--train-bytes", defaultValue = "268435456", paramLabel = "N",
      description = "Train the tokenizer on at most the first N bytes of text (default ${DEFAULT-VALUE}).")
  long trainBytes;

  @Option(names = "--overwrite", description = "Replace an existing, non-empty output directory.")
  boolean overwrite;

  @Option(names = "--master", paramLabel = "URL",
      description = "Tokenize on Spark, one task per input file: local[N], local-cluster[..], spark://host:port or yarn"
          + " (under spark-submit, \"spark\" takes the master spark-submit was given). The output is byte-identical"
          + " to tokenizing here.")
  String master;

  @Override
  public Integer call() throws IOException {
    PrintStream err = System.err;
    if (tokenizer == null && (vocabSize < BpeTrainer.MIN_VOCAB || vocabSize > BpeTrainer.MAX_VOCAB)) {
      throw new IllegalArgumentException("--vocab-size=" + vocabSize + " is outside " + BpeTrainer.MIN_VOCAB + ".."
          + BpeTrainer.MAX_VOCAB + " (256 byte tokens + <|endoftext|> at least; uint16 shards at most)");
    }
    CorpusSharder.Options options = new CorpusSharder.Options(shardTokens, valFraction);
    TextCorpus.Split split = switch (documents.toLowerCase(Locale.ROOT)) {
      case "lines" -> TextCorpus.Split.LINES;
      case "files" -> TextCorpus.Split.FILES;
      default -> throw new IllegalArgumentException("--documents=" + documents + " must be lines or files");
    };
    Configuration conf = HadoopConf.configuration();
    TextCorpus corpus = TextCorpus.open(input, conf, split);
    Path out = new Path(output);
    OutputDirs.write(out, conf, overwrite, fs -> writeDataset(corpus, split, conf, fs, out, options));
    return ExitCodes.OK;
  }

  /** Trains or loads the tokenizer, then writes it, the shards and meta.json into {@code out}. */
  private void writeDataset(TextCorpus corpus, TextCorpus.Split split, Configuration conf, FileSystem fs, Path out,
      CorpusSharder.Options options) throws IOException {
    if (master != null) {
      onSpark(corpus, split, fs, out, options);
      return;
    }
    PrintStream err = System.err;
    ByteLevelBpe bpe;
    if (tokenizer != null) {
      bpe = loadTokenizer(conf);
    } else {
      err.printf("training a %d-token BPE vocabulary on %s (%s bytes)%n", vocabSize, input,
          ProgressLine.human(corpus.totalBytes()));
      ByteArrayOutputStream sample = new ByteArrayOutputStream();
      ProgressLine reading = new ProgressLine(err, "B");
      corpus.forEach((bytes, length) -> {
        sample.write(bytes, 0, length);
        sample.write('\n');
        reading.update(corpus.bytesRead(), corpus.totalBytes(), "reading the tokenizer's training text");
      }, trainBytes);
      reading.finish(corpus.bytesRead(), corpus.totalBytes(), "read " + ProgressLine.human(sample.size()) + " bytes of text");
      if (sample.size() == 0) {
        throw new MalformedCorpusException("input " + input + " holds no documents (it is empty, or every line is blank)");
      }
      long start = System.nanoTime();
      bpe = BpeTrainer.train(sample.toByteArray(), vocabSize);
      double secs = (System.nanoTime() - start) / 1e9;
      err.printf(Locale.ROOT, "learned %d merges in %s (%.1f MB/s)%n", bpe.mergeCount(), ProgressLine.duration(secs),
          sample.size() / 1e6 / secs);
    }
    writeTokenizer(fs, out, bpe);
    err.println("encoding into shards");
    report(CorpusSharder.write(corpus, bpe, fs, out, options, new ProgressLine(err, "B")), bpe);
  }

  /** The Spark path: the same passes, one task per file (SparkTokenizer), the same files written. */
  private void onSpark(TextCorpus corpus, TextCorpus.Split split, FileSystem fs, Path out, CorpusSharder.Options options)
      throws IOException {
    PrintStream err = System.err;
    io.ringtrain.launch.spark.SparkContexts.requireSpark("--master");
    try (var sc = io.ringtrain.launch.spark.SparkContexts.open("spark".equals(master) ? null : master,
        "ringtrain tokenize")) {
      err.printf("reading %d file(s) on Spark (%s)%n", corpus.files().size(), sc.master());
      var spark = new io.ringtrain.launch.spark.SparkTokenizer(sc, corpus, split);
      ByteLevelBpe bpe;
      if (tokenizer != null) {
        bpe = loadTokenizer(HadoopConf.configuration());
      } else {
        err.printf("training a %d-token BPE vocabulary on %s%n", vocabSize, input);
        bpe = spark.train(vocabSize, trainBytes);
        err.printf("learned %d merges%n", bpe.mergeCount());
      }
      writeTokenizer(fs, out, bpe);
      err.println("encoding into shards");
      report(spark.write(bpe, out, options), bpe);
    }
  }

  private ByteLevelBpe loadTokenizer(Configuration conf) throws IOException {
    Path p = new Path(tokenizer);
    ByteLevelBpe bpe;
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      bpe = ByteLevelBpe.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), tokenizer);
    }
    System.err.printf("loaded %s: %d tokens%n", tokenizer, bpe.vocabSize());
    return bpe;
  }

  private static void writeTokenizer(FileSystem fs, Path out, ByteLevelBpe bpe) throws IOException {
    try (OutputStream o = fs.create(new Path(out, "tokenizer.json"), true)) {
      o.write(bpe.toJson().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void report(CorpusSharder.Summary s, ByteLevelBpe bpe) {
    System.out.printf(Locale.ROOT,
        "wrote %s: %d documents, %d train tokens in %d shard(s), %d val tokens in %d shard(s), vocab %d, %.2f bytes/token%n",
        output, s.documents(), s.trainTokens(), s.trainShards().size(), s.valTokens(), s.valShards().size(),
        bpe.vocabSize(), s.textBytes() / (double) Math.max(1, s.trainTokens() + s.valTokens() - s.documents()));
  }
}
