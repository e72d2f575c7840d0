package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static int[][] merges(ByteLevelBpe bpe) {
    int[][] m = new int[bpe.mergeCount()][];
    for (int r = 0; r < m.length; r++) {
      m[r] = new int[] {bpe.mergeLeft(r), bpe.mergeRight(r)};
    }
    return m;
  }

  @Test
  void learnsTheHandCheckedMergesOfATinyCorpus() {
    // Pieces "aaab" and " aaab". (a,a) occurs 4 times, then (a,b) and (256,a) tie at 2 and the
    // lower pair (97,98) wins; the corpus is exhausted after four merges.
    ByteLevelBpe bpe = BpeTrainer.train(utf8("aaab aaab"), 300);
    assertArrayEquals(new int[][] {{97, 97}, {97, 98}, {256, 257}, {32, 258}}, merges(bpe));
    assertEquals(261, bpe.vocabSize());
    assertEquals(260, bpe.endOfText());
    assertArrayEquals(new int[] {258}, bpe.encode("aaab"));
    assertArrayEquals(new int[] {259}, bpe.encode(" aaab"));
    // Rank order, leftmost first: "aaaab" -> (a,a)(a,a) b, never a (a,a)(a,b).
    assertArrayEquals(new int[] {256, 256, 98}, bpe.encode("aaaab"));
  }

  @Test
  void overlappingOccurrencesAreCountedOnce() {
    // "aaaa" holds (a,a) three times but merges into two 256s; then (256,256) is the only pair.
    ByteLevelBpe bpe = BpeTrainer.train(utf8("aaaa"), 260);
    assertArrayEquals(new int[][] {{97, 97}, {256, 256}}, merges(bpe));
    assertArrayEquals(new int[] {257}, bpe.encode("aaaa"));
  }

  @Test
  void matchesANaiveFullRecountTrainer() {
    byte[] corpus = Corpora.generated(60_000, 3);
    ByteLevelBpe fast = BpeTrainer.train(corpus, 257 + 400);
    assertArrayEquals(NaiveTrainer.train(corpus, 400), merges(fast));
  }

  @Test
  void producesExactlyTheRequestedVocabularyOnARichCorpus() {
    byte[] corpus = Corpora.generated(1 << 20, 11);
    ByteLevelBpe bpe = BpeTrainer.train(corpus, 3000);
    assertEquals(3000, bpe.vocabSize());
    assertEquals(2999, bpe.endOfText());
    assertArrayEquals(corpus, bpe.decode(bpe.encode(corpus)));
  }

  @Test
  void streamingInSmallChunksEqualsTrainingOnTheWholeBuffer() throws IOException {
    byte[] corpus = Corpora.generated(200_000, 5);
    ByteLevelBpe whole = BpeTrainer.train(corpus, 800);
    ByteLevelBpe streamed = BpeTrainer.train(new ByteArrayInputStream(corpus), 800, 4096);
    assertArrayEquals(merges(whole), merges(streamed));
    // No place to cut at all: the chunk buffer has to grow.
    byte[] uncuttable = utf8("ab".repeat(10_000));
    assertArrayEquals(merges(BpeTrainer.train(uncuttable, 270)),
        merges(BpeTrainer.train(new ByteArrayInputStream(uncuttable), 270, 1024)));
  }

  @Test
  void rejectsVocabularySizesOutsideUint16AndEmptyInput() {
    IllegalArgumentException small =
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(utf8("abc"), 256));
    assertTrue(small.getMessage().contains("256") && small.getMessage().contains("257..65535"),
        small.getMessage());
    IllegalArgumentException large =
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(utf8("abc"), 65_536));
    assertTrue(large.getMessage().contains("65536"), large.getMessage());
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(new byte[0], 1000));
    assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> BpeTrainer.train(new ByteArrayInputStream(new byte[0]), 1000));
  }

  @Test
  void trainsOnTheDemoCorpusOrAGeneratedOne() throws IOException {
    Path demo = Corpora.demoCorpus();
    byte[] corpus;
    if (demo != null) {
      corpus = Corpora.readGz(demo, 2 << 20);
      System.out.println("BpeTrainerTest: training on the first 2 MB of " + demo);
    } else {
      corpus = Corpora.generated(2 << 20, 1);
      System.out.println("BpeTrainerTest: no demo corpus under -Dringtrain.root="
          + System.getProperty("ringtrain.root") + "; training on 2 MB of generated text");
    }
    ByteLevelBpe bpe = BpeTrainer.train(corpus, 2048);
    assertEquals(2048, bpe.vocabSize());
    int[] ids = bpe.encodeParallel(corpus);
    assertArrayEquals(bpe.encode(corpus), ids);
    assertArrayEquals(corpus, bpe.decode(ids));
    double tokensPerByte = ids.length / (double) corpus.length;
    assertTrue(tokensPerByte < 0.4, "tokens per byte " + tokensPerByte);
  }

  /** Reference BPE: recounts every pair of every word before each merge. */
  static final class NaiveTrainer {
    static int[][] train(byte[] corpus, int merges) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < corpus.length; ) {
        int end = PreTokenizer.next(corpus, i, corpus.length);
        counts.merge(new String(corpus, i, end - i, StandardCharsets.ISO_8859_1), 1, Integer::sum);
        i = end;
      }
      List<int[]> words = new ArrayList<>();
      List<Integer> freqs = new ArrayList<>();
      counts.forEach((w, f) -> {
        words.add(w.chars().toArray());
        freqs.add(f);
      });
      int[][] out = new int[merges][];
      for (int m = 0; m < merges; m++) {
        Map<Long, Long> pairs = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
          int[] s = words.get(w);
          for (int k = 0; k + 1 < s.length; k++) {
            pairs.merge(((long) s[k] << 32) | s[k + 1], (long) freqs.get(w), Long::sum);
          }
        }
        long best = -1;
        long bestCount = 0;
        for (Map.Entry<Long, Long> e : pairs.entrySet()) {
          if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < best)) {
            best = e.getKey();
            bestCount = e.getValue();
          }
        }
        if (best < 0) {
          return Arrays.copyOf(out, m);
        }
        int a = (int) (best >>> 32);
        int b = (int) best;
        out[m] = new int[] {a, b};
        for (int w = 0; w < words.size(); w++) {
          words.set(w, mergeAll(words.get(w), a, b, 256 + m));
        }
      }
      return out;
    }

    static int[] mergeAll(int[] s, int a, int b, int merged) {
      int[] out = new int[s.length];
      int n = 0;
      for (int i = 0; i < s.length; ) {
        if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
          out[n++] = merged;
          i += 2;
        } else {
          out[n++] = s[i++];
        }
      }
      return Arrays.copyOf(out, n);
    }
  }
}
