package io.ringtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ringtrain.proto.DataCursor;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
  @TempDir java.nio.file.Path dir;
  ShardSet shards;
  static final int T = 8;

  /** Token i of the stream is i mod 65536, so a window's first token tells where it starts. */
  @BeforeEach
  void writeShards() throws IOException {
    for (int s = 0; s < 3; s++) {
      TokenShardWriter w = new TokenShardWriter(TokenShardTest.localFs(),
          new Path(dir.resolve(String.format("train_%06d.bin", s)).toString()));
      for (int i = 0; i < 1000; i++) w.add((s * 1000 + i) % 65_536);
      w.commit();
    }
    shards = ShardSet.open(dir.toString(), new Configuration());
  }

  @Test
  void targetsAreInputsShiftedByOne() throws IOException {
    DataLoader l = new DataLoader(shards, 0, 1, 4, T, 1);
    int[] x = new int[4 * T];
    int[] y = new int[4 * T];
    l.next(x, y);
    for (int b = 0; b < 4; b++) {
      assertEquals(0, x[b * T] % T, "windows start every T tokens");
      for (int t = 0; t < T; t++) assertEquals(x[b * T + t] + 1, y[b * T + t]);
    }
  }

  @Test
  void ranksSeeDisjointDataAndTogetherEqualOneBigBatch() throws IOException {
    int world = 4;
    int b = 3;
    DataLoader big = new DataLoader(shards, 0, 1, world * b, T, 42);
    DataLoader[] ranks = new DataLoader[world];
    for (int r = 0; r < world; r++) ranks[r] = new DataLoader(shards, r, world, b, T, 42);
    for (int step = 0; step < 5; step++) {
      int[] bx = new int[world * b * T];
      int[] by = new int[world * b * T];
      big.next(bx, by);
      Set<Integer> starts = new HashSet<>();
      for (int r = 0; r < world; r++) {
        int[] x = new int[b * T];
        int[] y = new int[b * T];
        ranks[r].next(x, y);
        assertArrayEquals(Arrays.copyOfRange(bx, r * b * T, (r + 1) * b * T), x);
        assertArrayEquals(Arrays.copyOfRange(by, r * b * T, (r + 1) * b * T), y);
        for (int i = 0; i < b; i++) starts.add(x[i * T]);
      }
      assertEquals(world * b, starts.size(), "ranks shared a window at step " + step);
    }
  }

  @Test
  void restoredCursorGivesTheSameNextBatchesAcrossEpochs() throws IOException {
    DataLoader a = new DataLoader(shards, 1, 2, 5, T, 9);
    int[] x = new int[5 * T];
    int[] y = new int[5 * T];
    int steps = a.stepsPerEpoch() + 3; // crosses an epoch boundary
    for (int i = 0; i < steps; i++) a.next(x, y);
    DataCursor saved = a.cursor();
    int[][] want = new int[40][];
    for (int i = 0; i < 40; i++) {
      a.next(x, y);
      want[i] = x.clone();
    }
    DataLoader b = new DataLoader(shards, 1, 2, 5, T, 9);
    b.restore(saved);
    for (int i = 0; i < 40; i++) {
      b.next(x, y);
      assertArrayEquals(want[i], x, "batch " + i + " after restore");
    }
  }

  @Test
  void epochsAreShuffledDifferently() throws IOException {
    DataLoader l = new DataLoader(shards, 0, 1, 1, T, 3);
    int n = l.stepsPerEpoch();
    int[] first = new int[n];
    int[] second = new int[n];
    int[] x = new int[T];
    int[] y = new int[T];
    for (int i = 0; i < n; i++) {
      l.next(x, y);
      first[i] = x[0];
    }
    for (int i = 0; i < n; i++) {
      l.next(x, y);
      second[i] = x[0];
    }
    assertFalse(Arrays.equals(first, second));
    Arrays.sort(first);
    Arrays.sort(second);
    assertArrayEquals(first, second, "each epoch visits every window once");
  }

  @Test
  void tooLittleDataAndBadCursorsAreClearErrors() {
    assertThrows(IllegalArgumentException.class, () -> new DataLoader(shards, 0, 1, 1000, 64, 1));
    DataLoader l = new DataLoader(shards, 0, 1, 2, T, 1);
    assertThrows(IllegalArgumentException.class,
        () -> l.restore(DataCursor.newBuilder().setSeed(2).build()));
  }
}
