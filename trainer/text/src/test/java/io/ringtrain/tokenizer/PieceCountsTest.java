package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PieceCountsTest {
  /** Text with the borders that matter: newlines, runs of spaces, leading spaces, digits, non-ASCII. */
  private static byte[] text() {
    StringBuilder s = new StringBuilder();
    Random r = new Random(7);
    String[] words = {"the", "cat", "  sat", "on", "\n", "\n\n", " ", "mat", "42", "ünïcode", "'s", "--", "x\n y"};
    for (int i = 0; i < 4000; i++) s.append(words[r.nextInt(words.length)]).append(r.nextInt(5) == 0 ? "" : " ");
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void slicesCountedApartTrainTheMergesOfTheWhole() {
    byte[] whole = text();
    ByteLevelBpe expected = BpeTrainer.train(whole, 400);
    Random r = new Random(3);
    for (int trial = 0; trial < 6; trial++) {
      List<PieceCounts> slices = new ArrayList<>();
      int at = 0;
      while (at < whole.length) {
        // Tiny slices too: a slice without a safe cut joins its neighbours' borders.
        int end = Math.min(whole.length, at + 1 + r.nextInt(trial % 2 == 0 ? 40 : 4000));
        byte[] slice = Arrays.copyOfRange(whole, at, end);
        slices.add(PieceCounts.fromBytes(PieceCounts.ofSlice(slice, slice.length).toBytes()));
        at = end;
      }
      assertEquals(expected.toJson(), PieceCounts.train(slices, 400).toJson(), "trial " + trial);
    }
  }
}
