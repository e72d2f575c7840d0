package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/** The 245 reconstructed Chinchilla points, read from the shared data folder (never copied). */
final class ChinchillaData {
  private ChinchillaData() {}

  static Path file() {
    String shared = System.getProperty("ringtrain.shared");
    if (shared == null) {
      fail("system property ringtrain.shared is not set (surefire sets it to <repo>/../shared)");
    }
    Path file = Path.of(shared, "data", "chinchilla", "svg_extracted_data.csv");
    if (!Files.isRegularFile(file)) {
      fail("Chinchilla data not found: looked for " + file.toAbsolutePath()
          + " (ringtrain.shared=" + shared + ")");
    }
    return file;
  }

  /** All points: N = Model Size, C = Training FLOP, D = C / 6N. */
  static List<ScalingPoint> all() throws IOException {
    return ResultsCsv.read(
        file(), new ResultsCsv.Columns("Model Size", null, "Training FLOP", "loss"));
  }

  /** The replication's data set: all points less the 5 with the highest loss. */
  static List<ScalingPoint> lessFiveHighestLosses() throws IOException {
    List<ScalingPoint> all = all();
    return all.stream()
        .sorted(Comparator.comparingDouble(ScalingPoint::loss))
        .limit(all.size() - 5)
        .toList();
  }
}
