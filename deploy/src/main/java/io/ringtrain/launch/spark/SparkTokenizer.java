package io.ringtrain.launch.spark;

import io.ringtrain.corpus.CorpusSharder;
import io.ringtrain.corpus.MalformedCorpusException;
import io.ringtrain.corpus.TextCorpus;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.TokenShardWriter;
import io.ringtrain.tokenizer.ByteLevelBpe;
import io.ringtrain.tokenizer.PieceCounts;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code tokenize} on Spark, one task per corpus file, leaving the very bytes the local
 * {@code tokenize} leaves (tokenizer.json, shards, meta.json). Four passes: each file's documents
 * and text bytes (which fix each document's ordinal, hence its split, and the training sample's
 * extent); pre-token counts of each file's share of the sample, merged in file order into the BPE
 * merges; encoding, each file's tokens to a temporary part; and shards, each assembled from the
 * parts that cover its token range and committed as the local sharder commits it.
 */
public final class SparkTokenizer {
  private static final String TMP = "_tokenize-parts";

  private final JavaSparkContext sc;
  private final List<String> files;
  private final TextCorpus.Split split;
  /** Documents and text bytes per file, in corpus order. */
  private final List<long[]> stats;

  /** Reads every file of {@code corpus} once for its document count and text bytes. */
  public SparkTokenizer(JavaSparkContext sc, TextCorpus corpus, TextCorpus.Split split) {
    this.sc = sc;
    this.files = corpus.files().stream().map(Path::toString).toList();
    this.split = split;
    this.stats = perFile((file, unused) -> {
      long[] docsAndBytes = new long[2];
      open(file, split).forEach((bytes, length) -> {
        docsAndBytes[0]++;
        docsAndBytes[1] += length;
      });
      return docsAndBytes;
    });
  }

  /** One task per file; {@code f} gets the file and its index, results come back in file order. */
  private <T> List<T> perFile(FileTask<T> f) {
    List<String> names = files;
    return sc.parallelize(IntStream.range(0, names.size()).boxed().toList(), names.size())
        .map(i -> f.apply(names.get(i), i)).collect();
  }

  @FunctionalInterface
  private interface FileTask<T> extends java.io.Serializable {
    T apply(String file, int index) throws IOException;
  }

  private static TextCorpus open(String file, TextCorpus.Split split) throws IOException {
    return TextCorpus.open(file, HadoopConf.configuration(), split);
  }

  /**
   * Trains on the first {@code trainBytes} of document text, as {@code TextCorpus.forEach(sink,
   * trainBytes)} delivers it, each document followed by a newline.
   */
  public ByteLevelBpe train(int vocabSize, long trainBytes) throws MalformedCorpusException {
    long[] before = prefixSums(1);
    TextCorpus.Split s = split;
    List<byte[]> slices = perFile((file, i) -> {
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      long budget = trainBytes - before[i];
      if (budget > 0) {
        open(file, s).forEach((bytes, length) -> {
          text.write(bytes, 0, length);
          text.write('\n');
        }, budget);
      }
      return PieceCounts.ofSlice(text.toByteArray(), text.size()).toBytes();
    });
    List<PieceCounts> counts = slices.stream().map(PieceCounts::fromBytes).toList();
    if (counts.stream().mapToLong(PieceCounts::textBytes).sum() == 0) {
      throw new MalformedCorpusException("input " + files.get(0) + (files.size() > 1 ? " …" : "")
          + " holds no documents (it is empty, or every line is blank)");
    }
    return PieceCounts.train(counts, vocabSize);
  }

  /** Encodes every document and writes shards, then meta.json, under {@code out}. */
  public CorpusSharder.Summary write(ByteLevelBpe bpe, Path out, CorpusSharder.Options options) throws IOException {
    long documents = prefixSums(0)[files.size()];
    if (documents == 0) {
      throw new MalformedCorpusException("input " + files.get(0) + (files.size() > 1 ? " …" : "")
          + " holds no documents (every line is empty)");
    }
    long start = System.nanoTime();
    long[] docsBefore = prefixSums(0);
    long every = CorpusSharder.valEvery(options);
    String json = bpe.toJson();
    String parts = new Path(out, TMP).toString();
    TextCorpus.Split s = split;
    List<long[]> tokens = perFile((file, i) -> {
      ByteLevelBpe tokenizer = ByteLevelBpe.fromJson(json, "the driver's tokenizer");
      FileSystem fs = new Path(parts).getFileSystem(HadoopConf.configuration());
      long[] trainAndVal = new long[2];
      long[] ordinal = {docsBefore[i]};
      try (OutputStream train = part(fs, parts, "train", i); OutputStream val = part(fs, parts, "val", i)) {
        open(file, s).forEach((bytes, length) -> {
          boolean isVal = CorpusSharder.isVal(ordinal[0]++, every);
          OutputStream to = isVal ? val : train;
          int[] ids = tokenizer.encode(bytes, 0, length);
          writeToken(to, tokenizer.endOfText());
          for (int id : ids) writeToken(to, id);
          trainAndVal[isVal ? 1 : 0] += ids.length + 1;
        });
      }
      return trainAndVal;
    });
    List<String> trainShards = shards("train", column(tokens, 0), options.shardTokens(), parts, out);
    List<String> valShards = shards("val", column(tokens, 1), options.shardTokens(), parts, out);
    FileSystem fs = out.getFileSystem(HadoopConf.configuration());
    fs.delete(new Path(parts), true);
    long[] sums = {0, 0};
    for (long[] t : tokens) {
      sums[0] += t[0];
      sums[1] += t[1];
    }
    CorpusSharder.Summary summary = new CorpusSharder.Summary(documents, sums[0], sums[1], trainShards, valShards,
        prefixSums(1)[files.size()], (System.nanoTime() - start) / 1e9);
    CorpusSharder.writeMeta(fs, out, bpe, options, files.stream().map(Path::new).toList(), summary);
    return summary;
  }

  /** {@code [0, a0, a0 + a1, ...]} of the per-file stat {@code column} (0 documents, 1 text bytes). */
  private long[] prefixSums(int column) {
    long[] sums = new long[files.size() + 1];
    for (int i = 0; i < files.size(); i++) sums[i + 1] = sums[i] + stats.get(i)[column];
    return sums;
  }

  private static long[] column(List<long[]> rows, int column) {
    return rows.stream().mapToLong(r -> r[column]).toArray();
  }

  private static OutputStream part(FileSystem fs, String parts, String name, int index) throws IOException {
    return new BufferedOutputStream(fs.create(new Path(parts, name + "-" + index + ".u16"), true), 1 << 16);
  }

  private static void writeToken(OutputStream out, int token) throws IOException {
    out.write(token);
    out.write(token >>> 8);
  }

  /**
   * Writes the shards of one split, one task each: shard j holds the split's tokens
   * [j * shardTokens, (j + 1) * shardTokens), read from the parts that cover them.
   */
  private List<String> shards(String name, long[] perPart, long shardTokens, String parts, Path out) {
    long total = 0;
    for (long n : perPart) total += n;
    int count = Math.toIntExact((total + shardTokens - 1) / shardTokens);
    if (count == 0) return List.of();
    long all = total;
    String dir = out.toString();
    sc.parallelize(IntStream.range(0, count).boxed().toList(), count).foreach(j -> {
      FileSystem fs = new Path(dir).getFileSystem(HadoopConf.configuration());
      TokenShardWriter shard = new TokenShardWriter(fs, new Path(dir, CorpusSharder.shardName(name, j)));
      long from = j * shardTokens;
      long to = Math.min(all, from + shardTokens);
      long partStart = 0;
      byte[] buf = new byte[1 << 16];
      for (int p = 0; p < perPart.length && partStart < to; partStart += perPart[p++]) {
        long lo = Math.max(from, partStart);
        long hi = Math.min(to, partStart + perPart[p]);
        if (lo >= hi) continue;
        try (FSDataInputStream in = fs.open(new Path(parts, name + "-" + p + ".u16"))) {
          in.seek(2 * (lo - partStart));
          for (long left = hi - lo; left > 0; ) {
            int n = (int) Math.min(buf.length / 2, left);
            in.readFully(buf, 0, 2 * n);
            for (int k = 0; k < n; k++) shard.add((buf[2 * k] & 0xff) | (buf[2 * k + 1] & 0xff) << 8);
            left -= n;
          }
        }
      }
      shard.commit();
    });
    List<String> names = new ArrayList<>();
    for (int j = 0; j < count; j++) names.add(CorpusSharder.shardName(name, j));
    return names;
  }
}
