package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTest {
  private static ByteLevelBpe bpe;

  @BeforeAll
  static void train() {
    bpe = BpeTrainer.train(Corpora.generated(300_000, 17), 1500);
  }

  @Test
  void randomBytesIncludingInvalidUtf8RoundTrip() {
    Random rnd = new Random(1234);
    for (int c = 0; c < 3000; c++) {
      byte[] b = new byte[rnd.nextInt(400)];
      if (c % 2 == 0) {
        rnd.nextBytes(b);
      } else {
        // Mostly ASCII text with invalid bytes sprinkled in, so merges actually fire.
        for (int i = 0; i < b.length; i++) {
          b[i] = rnd.nextInt(8) == 0 ? (byte) (0x80 + rnd.nextInt(128))
              : (byte) " aeinorst'.\n".charAt(rnd.nextInt(12));
        }
      }
      int[] ids = bpe.encode(b);
      for (int id : ids) {
        assertTrue(id >= 0 && id < bpe.endOfText(), "id " + id);
      }
      assertArrayEquals(b, bpe.decode(ids), "case " + c);
    }
  }

  @Test
  void unicodeTextRoundTrips() {
    String text = "Grüße aus Köln! Привет, мир. 数据集 🙂👍🏽 e\u0301 naïve café — 1½ "
        + "tab\there\r\nend  \u3000\u00a0x 'll've";
    int[] ids = bpe.encode(text);
    assertEquals(text, bpe.decodeString(ids));
    assertTrue(ids.length < text.getBytes(StandardCharsets.UTF_8).length, "some merges apply");
  }

  @Test
  void encodingEqualsReplayingTheMergesInRankOrder() {
    Random rnd = new Random(99);
    byte[] corpus = Corpora.generated(100_000, 23);
    for (int c = 0; c < 500; c++) {
      int from = rnd.nextInt(corpus.length - 600);
      byte[] slice = Arrays.copyOfRange(corpus, from, from + rnd.nextInt(600));
      assertArrayEquals(replay(slice), bpe.encode(slice));
    }
    byte[] longRun = "la".repeat(700).getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(replay(longRun), bpe.encode(longRun));
  }

  /** Applies every merge, in rank order, to each piece: the definition encoding must meet. */
  private static int[] replay(byte[] text) {
    IntList out = new IntList(16);
    for (int i = 0; i < text.length; ) {
      int end = PreTokenizer.next(text, i, text.length);
      int[] s = new int[end - i];
      for (int k = 0; k < s.length; k++) {
        s[k] = text[i + k] & 0xff;
      }
      for (int r = 0; r < bpe.mergeCount(); r++) {
        s = BpeTrainerTest.NaiveTrainer.mergeAll(s, bpe.mergeLeft(r), bpe.mergeRight(r), 256 + r);
      }
      out.addAll(s, 0, s.length);
      i = end;
    }
    return out.toArray();
  }

  @Test
  void endOfTextIsLastAndNeverComesFromText() {
    assertEquals(bpe.vocabSize() - 1, bpe.endOfText());
    String text = "one<|endoftext|>two";
    int[] ids = bpe.encode(text);
    assertTrue(Arrays.stream(ids).noneMatch(id -> id == bpe.endOfText()));
    assertEquals(text, bpe.decodeString(ids));
    int[] doc = {bpe.encode("a")[0], bpe.endOfText(), bpe.encode("b")[0]};
    assertEquals("a<|endoftext|>b", bpe.decodeString(doc));
    assertArrayEquals(ByteLevelBpe.END_OF_TEXT.getBytes(StandardCharsets.UTF_8),
        bpe.tokenBytes(bpe.endOfText()));
  }

  @Test
  void decodeRejectsIdsOutsideTheVocabulary() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bpe.decode(new int[] {5, bpe.vocabSize()}));
    assertTrue(e.getMessage().contains("id " + bpe.vocabSize() + " at position 1")
        && e.getMessage().contains("0.." + (bpe.vocabSize() - 1)), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> bpe.decode(new int[] {-1}));
  }

  @Test
  void parallelEncodingEqualsSequential() {
    byte[] big = Corpora.generated(3 << 20, 31);
    assertArrayEquals(bpe.encode(big), bpe.encodeParallel(big));
  }

  @Test
  void pieceCacheSurvivesGrowingAndStartingOver() {
    // 600,000 distinct pieces: more than the cache holds, so it grows and then starts over.
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 600_000; i++) {
      sb.append(' ').append(i);
    }
    int[] whole = bpe.encode(sb.toString());
    ByteLevelBpe fresh = new ByteLevelBpe(merges(true), merges(false));
    IntList expected = new IntList(whole.length);
    for (int i = 0; i < 600_000; i++) {
      int[] ids = fresh.encode(" " + i);
      expected.addAll(ids, 0, ids.length);
    }
    assertArrayEquals(expected.toArray(), whole);
  }

  private static int[] merges(boolean left) {
    int[] m = new int[bpe.mergeCount()];
    for (int r = 0; r < m.length; r++) {
      m[r] = left ? bpe.mergeLeft(r) : bpe.mergeRight(r);
    }
    return m;
  }

  @Test
  void tokenBytesConcatenateTheirMerge() {
    for (int r = 0; r < bpe.mergeCount(); r += 97) {
      byte[] l = bpe.tokenBytes(bpe.mergeLeft(r));
      byte[] rt = bpe.tokenBytes(bpe.mergeRight(r));
      byte[] joined = Arrays.copyOf(l, l.length + rt.length);
      System.arraycopy(rt, 0, joined, l.length, rt.length);
      assertArrayEquals(joined, bpe.tokenBytes(256 + r));
    }
  }

  @Test
  void rejectsMergesThatReferToUndefinedOrRepeatedPairs() {
    IllegalArgumentException future = assertThrows(IllegalArgumentException.class,
        () -> new ByteLevelBpe(new int[] {97, 257}, new int[] {98, 97}));
    assertTrue(future.getMessage().contains("merge 1 is (257, 97)"), future.getMessage());
    IllegalArgumentException repeated = assertThrows(IllegalArgumentException.class,
        () -> new ByteLevelBpe(new int[] {97, 97}, new int[] {98, 98}));
    assertTrue(repeated.getMessage().contains("repeats"), repeated.getMessage());
    // A chain of merges that grows one token byte by byte past the longest possible piece.
    int[] left = new int[PreTokenizer.MAX_PIECE];
    int[] right = new int[PreTokenizer.MAX_PIECE];
    left[0] = 'a';
    right[0] = 'a';
    for (int r = 1; r < left.length; r++) {
      left[r] = 255 + r;
      right[r] = 'a';
    }
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> new ByteLevelBpe(left, right));
    assertTrue(tooLong.getMessage().contains("merge 255 is (510, 97), a token of 257 bytes"),
        tooLong.getMessage());
  }
}
