package io.ringtrain.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.data.ShardSet;
import io.ringtrain.proto.JobSpec;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The train and (optional) validation shards of a job, checked against the model's vocabulary. */
public final class TrainingData implements Closeable {
  private final ShardSet train;
  private final ShardSet val;

  private TrainingData(ShardSet train, ShardSet val) {
    this.train = train;
    this.val = val;
  }

  public static TrainingData open(JobSpec spec, Configuration conf) throws IOException {
    String trainAt = spec.getData().getTrain();
    if (trainAt.isEmpty()) {
      throw new IllegalArgumentException("data.train is empty: give --data <tokenized dir or shards>");
    }
    int vocab = spec.getModel().getVocabSize();
    ShardSet train = ShardSet.open(trainAt, conf);
    ShardSet val = null;
    try {
      checkVocabulary(train, trainAt, vocab, conf);
      if (!spec.getData().getVal().isEmpty()) {
        val = ShardSet.open(spec.getData().getVal(), conf);
        checkVocabulary(val, spec.getData().getVal(), vocab, conf);
      }
    } catch (IOException | RuntimeException e) {
      train.close();
      if (val != null) val.close();
      throw e;
    }
    return new TrainingData(train, val);
  }

  /**
   * Every token id must be below the model's vocabulary. A dataset written by `ringtrain tokenize`
   * states its vocabulary in meta.json; other shards are scanned once.
   */
  private static void checkVocabulary(ShardSet shards, String where, int vocab, Configuration conf) throws IOException {
    Path first = shards.shards().get(0).path();
    Path meta = new Path(first.getParent(), "meta.json");
    FileSystem fs = meta.getFileSystem(conf);
    int max;
    String what;
    if (fs.exists(meta)) {
      try (Reader r = new InputStreamReader(fs.open(meta), StandardCharsets.UTF_8)) {
        JsonObject o = JsonParser.parseReader(r).getAsJsonObject();
        max = o.get("vocab_size").getAsInt() - 1;
        what = meta + " declares a vocabulary of " + (max + 1);
      }
    } else {
      max = shards.maxToken();
      what = "the shards hold token id " + max;
    }
    if (max >= vocab) {
      throw new IllegalArgumentException(where + ": " + what + " but the model's vocabulary is " + vocab
          + " (model.vocab_size / --vocab): raise it to at least " + (max + 1));
    }
  }

  public ShardSet train() {
    return train;
  }

  /** Null when the job has no validation data. */
  public ShardSet val() {
    return val;
  }

  @Override
  public void close() throws IOException {
    train.close();
    if (val != null) val.close();
  }
}
