package io.ringtrain.data;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a reader of a dataset needs from its {@value #FILE}, which the corpus sharder (text module)
 * writes last, so a dataset directory with one is complete. Here, beside the shards, so that
 * training reads a dataset without depending on what wrote it.
 */
public record DatasetMeta(int vocabSize, long valTokens) {
  public static final String FILE = "meta.json";

  /** The meta.json of dataset directory {@code dir}, or null when it has none (bare shards). */
  public static DatasetMeta read(FileSystem fs, Path dir) throws IOException {
    Path file = new Path(dir, FILE);
    if (!fs.exists(file)) return null;
    try (Reader r = new InputStreamReader(fs.open(file), StandardCharsets.UTF_8)) {
      JsonObject o = JsonParser.parseReader(r).getAsJsonObject();
      return new DatasetMeta(o.get("vocab_size").getAsInt(), o.get("val_tokens").getAsLong());
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a ringtrain dataset's meta.json: " + e.getMessage(), e);
    }
  }
}
