package io.ringtrain.metrics;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code <run>/metrics.jsonl}: one JSON object per line, {@code "type": "train"} or {@code "val"},
 * each with {@code step} and {@code tokens}. A resumed run first drops the lines after its
 * checkpoint's step, so the file reads as if the run had never stopped.
 */
public final class MetricsLog implements Closeable {
  public static final String FILE = "metrics.jsonl";
  private static final Gson GSON = new Gson();

  private final FileSystem fs;
  private final Path runDir;
  private FSDataOutputStream out;

  private MetricsLog(FileSystem fs, Path runDir) {
    this.fs = fs;
    this.runDir = runDir;
  }

  /** Opens the run's log, keeping only the records up to {@code keepThroughStep} (-1 keeps none). */
  public static MetricsLog open(FileSystem fs, Path runDir, long keepThroughStep) throws IOException {
    MetricsLog log = new MetricsLog(fs, runDir);
    log.out = keepThrough(fs, runDir, keepThroughStep);
    return log;
  }

  /**
   * Forgets every record after {@code step}: a recovered job repeats those steps, and the log must
   * read as if it had never failed.
   */
  public synchronized void rewind(long step) throws IOException {
    out.close();
    out = keepThrough(fs, runDir, step);
  }

  private static FSDataOutputStream keepThrough(FileSystem fs, Path runDir, long keepThroughStep) throws IOException {
    Path file = new Path(runDir, FILE);
    List<String> kept = new ArrayList<>();
    if (fs.exists(file)) {
      for (JsonObject o : read(fs, file)) {
        if (o.has("step") && o.get("step").getAsLong() <= keepThroughStep) kept.add(GSON.toJson(o));
      }
    }
    Path tmp = new Path(runDir, "." + FILE + ".tmp");
    try (OutputStream o = fs.create(tmp, true)) {
      for (String line : kept) o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(file)) fs.delete(file, false);
    if (!fs.rename(tmp, file)) throw new IOException("could not rename " + tmp + " to " + file);
    return fs.append(file);
  }

  /** Appends one record and makes it visible to readers at once. */
  public synchronized void write(Map<String, ?> record) throws IOException {
    out.write((GSON.toJson(record) + "\n").getBytes(StandardCharsets.UTF_8));
    out.hflush();
  }

  /** Every record of a metrics file, in order. */
  public static List<JsonObject> read(FileSystem fs, Path file) throws IOException {
    List<JsonObject> records = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) continue;
        try {
          records.add(JsonParser.parseString(line).getAsJsonObject());
        } catch (RuntimeException e) {
          throw new MalformedMetricsException(file + " line " + n + " is not a JSON object: " + e.getMessage());
        }
      }
    }
    return records;
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
