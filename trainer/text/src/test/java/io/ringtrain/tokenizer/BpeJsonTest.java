package io.ringtrain.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeJsonTest {
  private static final String VALID = "{\"type\": \"byte-level-bpe\", \"version\": 1, "
      + "\"vocab_size\": 259, \"special_tokens\": {\"<|endoftext|>\": 258}, "
      + "\"merges\": [[97, 98], [256, 99]]}";

  @Test
  void saveThenLoadGivesTheSameTokenizer(@TempDir Path dir) throws IOException {
    byte[] corpus = Corpora.generated(200_000, 8);
    ByteLevelBpe bpe = BpeTrainer.train(corpus, 1000);
    Path file = dir.resolve("tokenizer.json");
    bpe.save(file);
    ByteLevelBpe loaded = ByteLevelBpe.load(file);
    assertEquals(bpe.vocabSize(), loaded.vocabSize());
    assertEquals(bpe.endOfText(), loaded.endOfText());
    assertArrayEquals(bpe.encode(corpus), loaded.encode(corpus));
    String json = Files.readString(file);
    assertTrue(json.contains("\"type\": \"byte-level-bpe\"") && json.contains("\"version\": 1")
        && json.contains("\"<|endoftext|>\": 999") && json.contains("\"vocab_size\": 1000"), json);
  }

  @Test
  void readsTheDocumentedFormat() throws IOException {
    ByteLevelBpe bpe = ByteLevelBpe.fromJson(VALID, "inline");
    assertArrayEquals(new int[] {257}, bpe.encode("abc"));
    assertEquals(258, bpe.endOfText());
    ByteLevelBpe none = ByteLevelBpe.fromJson(new ByteLevelBpe(new int[0], new int[0]).toJson(), "x");
    assertEquals(257, none.vocabSize());
  }

  @Test
  void malformedFilesNameTheProblem() {
    assertFails("not json at all", "not valid JSON: malformed JSON at line 1 column 1 path $");
    assertFails("", "not valid JSON: End of input at line 1 column 1");
    assertFails(VALID + "}", "not valid JSON: malformed JSON at line 1 column "
        + (VALID.length() + 2));
    assertFails(VALID.replace("[97, 98]", "[97 98]"),
        "not valid JSON: Unterminated array at line 1 column");
    assertFails("[1, 2]", "the top level is [1, 2], not a JSON object");
    assertFails(VALID.replace("\"byte-level-bpe\"", "3"), "\"type\" is 3, expected a string");
    assertFails(VALID.replace("byte-level-bpe", "wordpiece"), "\"type\" is \"wordpiece\"");
    assertFails(VALID.replace("\"version\": 1", "\"version\": 2"), "\"version\" is 2");
    assertFails(VALID.replace("\"merges\"", "\"merged\""), "\"merges\" is missing");
    assertFails(VALID.replace("[256, 99]", "[256]"), "merge 1 is [256], expected a pair");
    assertFails(VALID.replace("[256, 99]", "[256, 9.5]"), "merge 1 has 9.5");
    assertFails(VALID.replace("[256, 99]", "[300, 99]"), "merge 1 is (300, 99)");
    assertFails(VALID.replace("[256, 99]", "[97, 98]"), "repeats the pair (97, 98)");
    assertFails(VALID.replace("259", "4096"), "\"vocab_size\" is 4096 but 2 merges give 259");
    assertFails(VALID.replace("\": 258", "\": 256"), "<|endoftext|> has id 256, expected 258");
    assertFails(VALID.replace("<|endoftext|>", "<|pad|>"), "unknown special token \"<|pad|>\"");
    assertFails(VALID.replace("{\"<|endoftext|>\": 258}", "{}"), "lacks <|endoftext|>");
  }

  @Test
  void rejectsWhatRfc8259Rejects() {
    for (String bad : new String[] {VALID.replace("[256, 99]", "[256, 99],"),
        VALID.replace("\"version\"", "version"), VALID.replace("\"version\"", "'version'"),
        VALID.replace("259", "0259"), VALID.replace("[97, 98]", "[97, 98.]"),
        VALID.replace("byte-level", "byte\nlevel"), VALID + " // comment", VALID + " {}"}) {
      assertFails(bad, "not valid JSON: ");
    }
  }

  @Test
  void repeatedMembersAreAnError() {
    assertFails(VALID.replace("\"version\": 1,", "\"version\": 1, \"version\": 1,"),
        "not valid JSON: repeated member \"version\" at $.version");
    assertFails(VALID.replace(": 258}", ": 258, \"<|endoftext|>\": 258}"),
        "not valid JSON: repeated member \"<|endoftext|>\"");
  }

  @Test
  void loadNamesTheFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("broken.json");
    Files.write(file, new byte[] {(byte) 0xff, '{'});
    TokenizerFormatException e =
        assertThrows(TokenizerFormatException.class, () -> ByteLevelBpe.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
  }

  private static void assertFails(String json, String expected) {
    TokenizerFormatException e = assertThrows(TokenizerFormatException.class,
        () -> ByteLevelBpe.fromJson(json, "t.json"), json);
    assertTrue(e.getMessage().startsWith("t.json: ") && e.getMessage().contains(expected),
        () -> "message \"" + e.getMessage() + "\" lacks \"" + expected + "\"");
  }

  @Test
  void writesOneMergePerLine() throws IOException {
    String json = ByteLevelBpe.fromJson(VALID, "v").toJson();
    assertTrue(json.contains("\n    [97, 98],\n    [256, 99]\n  ]"), json);
  }
}
