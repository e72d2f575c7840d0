package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {
  /** GPT-2's pattern; UNICODE_CHARACTER_CLASS makes \s the White_Space property as in Python. */
  private static final Pattern GPT2 = Pattern.compile(
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      Pattern.UNICODE_CHARACTER_CLASS);

  private static final String[] ALPHABET = {
    "a", "b", "Z", "é", "ß", "я", "数", "𝔘", "0", "7", "٣", "½", " ", " ", " ", "\n", "\t", "\r\n",
    "\u00a0", "\u3000", "\u2003", "'", "'s", "'re", "'ll", "'d", "'t", "'m", "'ve", "'S", ".", ",",
    "!", "-", "\u0301", "😀", "\u0085", "\u001c"
  };

  private static List<String> split(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < b.length; ) {
      int end = PreTokenizer.next(b, i, b.length);
      out.add(new String(b, i, end - i, StandardCharsets.UTF_8));
      i = end;
    }
    return out;
  }

  private static List<String> regexSplit(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = GPT2.matcher(text);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  @Test
  void splitsLikeGpt2OnExamples() {
    assertEquals(List.of("Hello", ",", " world", "'s", " 12", "!!", "  ", " end", "\n"),
        split("Hello, world's 12!!   end\n"));
    assertEquals(List.of("I", "'m", " don", "'t", " '", "ve"), split("I'm don't 've"));
    assertEquals(List.of("a", "\n", "\n", "b", "   "), split("a\n\nb   "));
    assertEquals(List.of("x", " ", "\n", "y"), split("x \ny"));
  }

  @Test
  void matchesTheRegexOnRandomText() {
    Random rnd = new Random(42);
    for (int c = 0; c < 3000; c++) {
      StringBuilder sb = new StringBuilder();
      int n = rnd.nextInt(30);
      for (int k = 0; k < n; k++) {
        sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
      }
      String text = sb.toString();
      assertEquals(regexSplit(text), split(text), () -> "text: " + escape(text));
    }
  }

  @Test
  void invalidUtf8BytesAreOneByteOthersAndPiecesTileTheInput() {
    byte[] b = {'a', (byte) 0xff, 'b', ' ', (byte) 0xc3, ' ', (byte) 0xe2, (byte) 0x82, '!', ' ',
        (byte) 0xed, (byte) 0xa0, (byte) 0x80, (byte) 0xc0, (byte) 0xaf};
    List<String> hex = new ArrayList<>();
    for (int i = 0; i < b.length; ) {
      int end = PreTokenizer.next(b, i, b.length);
      StringBuilder sb = new StringBuilder();
      for (int k = i; k < end; k++) {
        sb.append(String.format("%02x", b[k] & 0xff));
      }
      hex.add(sb.toString());
      i = end;
    }
    // 0xff and a lone lead byte are "other"; a truncated 3-byte sequence joins the "!" run; an
    // encoded surrogate (ed a0 80) and an overlong "/" (c0 af) are "other" bytes too.
    assertEquals(List.of("61", "ff", "62", "20c3", "20e28221", "20eda080c0af"), hex);
  }

  @Test
  void longRunsAreCutAtMaxPieceOnCodePointBoundaries() {
    String text = "é".repeat(300) + " " + "-".repeat(600);
    List<String> pieces = split(text);
    assertEquals(String.join("", pieces), text);
    for (String p : pieces) {
      assertTrue(p.getBytes(StandardCharsets.UTF_8).length <= PreTokenizer.MAX_PIECE, p);
    }
    assertEquals("é".repeat(128), pieces.get(0));
    assertEquals(List.of(" " + "-".repeat(255), "-".repeat(256), "-".repeat(89)),
        pieces.subList(pieces.size() - 3, pieces.size()));
  }

  @Test
  void safeCutsSplitExactlyLikeTheWhole() {
    Random rnd = new Random(7);
    for (int c = 0; c < 300; c++) {
      byte[] b = randomText(rnd, 200);
      List<byte[]> whole = pieces(b, 0, b.length);
      for (int p = 2; p + 1 < b.length; p++) {
        if (PreTokenizer.isSafeCut(b, p)) {
          List<byte[]> parts = pieces(b, 0, p);
          parts.addAll(pieces(b, p, b.length));
          int cut = p;
          assertEquals(whole.size(), parts.size(), () -> "cut at " + cut + " in "
              + escape(new String(b, StandardCharsets.UTF_8)) + " before "
              + escape(new String(b, 0, cut, StandardCharsets.UTF_8)));
          for (int k = 0; k < whole.size(); k++) {
            assertArrayEquals(whole.get(k), parts.get(k));
          }
        }
      }
    }
  }

  private static byte[] randomText(Random rnd, int tokens) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < tokens; k++) {
      sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static List<byte[]> pieces(byte[] b, int from, int to) {
    List<byte[]> out = new ArrayList<>();
    for (int i = from; i < to; ) {
      int end = PreTokenizer.next(b, i, to);
      out.add(java.util.Arrays.copyOfRange(b, i, end));
      i = end;
    }
    return out;
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(cp -> sb.append(cp < 0x7f && cp >= 0x20 ? Character.toString(cp)
        : String.format("\\u{%x}", cp)));
    return sb.toString();
  }
}
