package io.ringtrain.train;

import io.ringtrain.data.DatasetMeta;
import io.ringtrain.data.ShardSet;
import io.ringtrain.proto.JobSpec;
import java.io.Closeable;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
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
    Path dir = shards.shards().get(0).path().getParent();
    DatasetMeta meta = DatasetMeta.read(dir.getFileSystem(conf), dir);
    int max;
    String what;
    if (meta != null) {
      max = meta.vocabSize() - 1;
      what = new Path(dir, DatasetMeta.FILE) + " declares a vocabulary of " + meta.vocabSize();
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
