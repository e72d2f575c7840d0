package io.ringtrain.corpus;

import com.google.gson.GsonBuilder;
import io.ringtrain.data.DatasetMeta;
import io.ringtrain.data.TokenShardWriter;
import io.ringtrain.progress.ProgressLine;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Encodes a corpus and writes it as train and validation token shards, each document preceded by
 * {@code <|endoftext|>}. Every k-th document (k = round(1 / valFraction)) goes to validation:
 * deterministic, and possible in one streaming pass. {@code meta.json} is written last, so a
 * dataset directory with a meta.json is complete.
 */
public final class CorpusSharder {
  /** How to cut the output: tokens per shard, and the share of documents held out. */
  public record Options(long shardTokens, double valFraction) {
    public Options {
      if (shardTokens < 1 || shardTokens > Integer.MAX_VALUE / 2) {
        throw new IllegalArgumentException("--shard-tokens=" + shardTokens + " must be in 1.." + Integer.MAX_VALUE / 2);
      }
      if (!(valFraction >= 0 && valFraction <= 0.5)) {
        throw new IllegalArgumentException("--val-fraction=" + valFraction + " must be in [0, 0.5]");
      }
    }
  }

  /** What was written. */
  public record Summary(long documents, long trainTokens, long valTokens, List<String> trainShards,
      List<String> valShards, long textBytes, double seconds) {}

  private final FileSystem fs;
  private final Path outDir;
  private final ByteLevelBpe bpe;
  private final Options options;
  private final Split train = new Split("train");
  private final Split val = new Split("val");
  private long documents;
  private long textBytes;

  private CorpusSharder(FileSystem fs, Path outDir, ByteLevelBpe bpe, Options options) {
    this.fs = fs;
    this.outDir = outDir;
    this.bpe = bpe;
    this.options = options;
  }

  /** Encodes every document of {@code corpus} into shards under {@code outDir}. */
  public static Summary write(TextCorpus corpus, ByteLevelBpe bpe, FileSystem fs, Path outDir, Options options,
      ProgressLine progress) throws IOException {
    CorpusSharder s = new CorpusSharder(fs, outDir, bpe, options);
    long every = valEvery(options);
    corpus.forEach((bytes, length) -> {
      Split split = isVal(s.documents, every) ? s.val : s.train;
      s.documents++;
      s.textBytes += length;
      split.add(bpe.endOfText());
      for (int token : bpe.encode(bytes, 0, length)) split.add(token);
      progress.update(corpus.bytesRead(), corpus.totalBytes(),
          ProgressLine.human(s.train.tokens + s.val.tokens) + " tokens");
    });
    if (s.documents == 0) {
      throw new MalformedCorpusException("input " + corpus.files().get(0) + (corpus.files().size() > 1 ? " …" : "")
          + " holds no documents (every line is empty)");
    }
    if (s.train.tokens == 0) {
      throw new MalformedCorpusException("input " + corpus.files().get(0) + (corpus.files().size() > 1 ? " …" : "")
          + " yields no training tokens: its " + s.documents + " document(s) all went to validation (one in every "
          + every + ", the first included, is held out); give more documents (one per line"
          + " with --documents lines) or pass --val-fraction 0");
    }
    s.train.flush();
    s.val.flush();
    double secs = progress.elapsedSeconds();
    progress.finish(corpus.bytesRead(), corpus.totalBytes(),
        ProgressLine.human(s.train.tokens + s.val.tokens) + " tokens, "
            + ProgressLine.human((long) ((s.train.tokens + s.val.tokens) / Math.max(secs, 1e-9))) + " tokens/s");
    Summary summary = new Summary(s.documents, s.train.tokens, s.val.tokens, s.train.names, s.val.names,
        s.textBytes, secs);
    writeMeta(fs, outDir, bpe, options, corpus.files(), summary);
    return summary;
  }

  /**
   * Writes {@code meta.json}, last, once every shard is committed. Public for writers that shard a
   * corpus in parallel and must leave the same dataset behind.
   */
  public static void writeMeta(FileSystem fs, Path outDir, ByteLevelBpe bpe, Options options, List<Path> sources,
      Summary summary) throws IOException {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("format", "llm.c shards: 256-int32 header (magic 20240520, version 1, count), uint16 tokens");
    meta.put("tokenizer", "tokenizer.json");
    meta.put("vocab_size", bpe.vocabSize());
    meta.put("end_of_text", bpe.endOfText());
    meta.put("documents", summary.documents());
    meta.put("text_bytes", summary.textBytes());
    meta.put("train_tokens", summary.trainTokens());
    meta.put("val_tokens", summary.valTokens());
    meta.put("train_shards", summary.trainShards());
    meta.put("val_shards", summary.valShards());
    meta.put("val_fraction", options.valFraction());
    meta.put("sources", sources.stream().map(Path::toString).toList());
    try (OutputStream out = fs.create(new Path(outDir, DatasetMeta.FILE), true)) {
      out.write(new GsonBuilder().setPrettyPrinting().create().toJson(meta).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The file name of shard {@code index} of {@code split} ("train" or "val"). */
  public static String shardName(String split, int index) {
    return String.format("%s_%06d.bin", split, index);
  }

  /** The ordinal every k-th of which is a validation document (k = round(1 / valFraction)); MAX_VALUE: none. */
  public static long valEvery(Options options) {
    return options.valFraction() == 0 ? Long.MAX_VALUE : Math.max(2, Math.round(1 / options.valFraction()));
  }

  /** Whether document number {@code ordinal} (0 first, in corpus order) goes to validation. */
  public static boolean isVal(long ordinal, long every) {
    return every != Long.MAX_VALUE && ordinal % every == 0;
  }

  /** One side of the split: fills shards of options.shardTokens and commits each when full. */
  private final class Split {
    final String name;
    final List<String> names = new ArrayList<>();
    TokenShardWriter current;
    long tokens;

    Split(String name) {
      this.name = name;
    }

    void add(int token) throws IOException {
      if (current == null) {
        String file = shardName(name, names.size());
        current = new TokenShardWriter(fs, new Path(outDir, file));
        names.add(file);
      }
      current.add(token);
      tokens++;
      if (current.count() == options.shardTokens()) flush();
    }

    void flush() throws IOException {
      if (current != null) current.commit();
      current = null;
    }
  }
}
