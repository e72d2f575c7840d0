package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every command documents itself, and bad requests get one clear line and the right exit code. */
class CliErrorsTest {
  @TempDir Path tmp;

  static List<List<String>> commandPaths(CommandLine cmd, List<String> prefix) {
    List<List<String>> all = new ArrayList<>();
    for (var e : cmd.getSubcommands().entrySet()) {
      if (e.getKey().equals("help")) continue;
      List<String> path = new ArrayList<>(prefix);
      path.add(e.getKey());
      all.add(path);
      all.addAll(commandPaths(e.getValue(), path));
    }
    return all;
  }

  @Test
  void everyCommandHasHelp() {
    List<List<String>> paths = commandPaths(RingtrainCommand.commandLine(), List.of());
    assertTrue(paths.size() >= 13, "commands: " + paths);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(0, r.code(), String.join(" ", args));
      assertTrue(r.out().contains("Usage: ringtrain " + String.join(" ", path)), r.out());
      assertNoBrokenSentences(r.out());
    }
    Cli.Result top = Cli.run("--help");
    assertTrue(top.out().contains("Exit codes"), top.out());
  }

  /**
   * Help wraps descriptions as prose: no short line (a remnant of a long source line) followed by
   * a line that goes on with the same sentence in lower case.
   */
  static void assertNoBrokenSentences(String help) {
    String[] lines = help.split("\\R");
    for (int i = 0; i + 1 < lines.length; i++) {
      String next = lines[i + 1];
      boolean continuation = !next.isEmpty() && Character.isLowerCase(next.charAt(0));
      assertFalse(continuation && lines[i].length() < 60,
          "a sentence broken after \"" + lines[i] + "\":\n" + help);
    }
  }

  @Test
  void unknownFlagIsAUsageError() {
    Cli.Result r = Cli.run("tokenize", "--input", "x", "--output", "y", "--bogus");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unknown option: '--bogus'"), r.err());
  }

  void assertFails(int code, String expected, String... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(code, r.code(), r.all());
    assertTrue(r.err().contains(expected), "expected \"" + expected + "\" in:\n" + r.all());
    assertFalse(r.err().contains("\tat "), "a stack trace reached the user:\n" + r.err());
  }

  @Test
  void tokenizeRejectsBadInputClearly() throws Exception {
    String out = tmp.resolve("out").toString();
    assertFails(2, "does not exist", "tokenize", "--input", tmp.resolve("missing.txt").toString(), "--output", out);

    Path binary = tmp.resolve("image.bin");
    byte[] noise = new byte[10_000];
    new Random(1).nextBytes(noise);
    Files.write(binary, noise);
    assertFails(2, "is not text", "tokenize", "--input", binary.toString(), "--output", out);

    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "\n\n\n");
    assertFails(2, "holds no documents", "tokenize", "--input", empty.toString(), "--output", out);

    Path text = tmp.resolve("ok.txt");
    Files.writeString(text, "some text\nmore text\n");
    assertFails(2, "--vocab-size=70000 is outside 257..65535", "tokenize", "--input", text.toString(), "--output", out,
        "--vocab-size", "70000");

    Path file = tmp.resolve("a-file");
    Files.writeString(file, "x");
    assertFails(3, "cannot write to output directory", "tokenize", "--input", text.toString(), "--output",
        file.resolve("sub").toString());

    Files.createDirectories(tmp.resolve("full"));
    Files.writeString(tmp.resolve("full/keep.txt"), "precious");
    assertFails(2, "exists and is not empty", "tokenize", "--input", text.toString(), "--output",
        tmp.resolve("full").toString());
    assertTrue(Files.exists(tmp.resolve("full/keep.txt")), "nothing lost");
  }

  @Test
  void invalidJobSpecNamesTheField() throws Exception {
    assertFails(2, "model.n_head=6 does not divide model.n_embd=256", "train", "--heads", "6", "--width", "256",
        "--data", tmp.toString(), "--out", tmp.resolve("run").toString());
    Path spec = tmp.resolve("job.json");
    Files.writeString(spec, "{\"model\": {\"n_layers\": 3}}");
    assertFails(2, "n_layers", "train", "--spec", spec.toString());
    String out = tmp.resolve("run").toString();
    assertFails(2, "no token shards", "train", "--data", tmp.resolve("nothing").toString(), "--steps", "1", "--out", out);
    assertFalse(Files.exists(tmp.resolve("run")), "a failed start leaves no run directory behind");
  }

  @Test
  void resumeWithoutCheckpointsSaysWhatToDo() {
    assertFails(2, "holds no intact checkpoint", "resume", tmp.toString());
  }
}
