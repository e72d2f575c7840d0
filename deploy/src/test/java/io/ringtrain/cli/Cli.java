package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Runs {@code ringtrain} in this JVM as a user would, capturing exit code, stdout and stderr. */
final class Cli {
  record Result(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /** The demo corpus the build unpacked (generate-resources runs before the tests). */
  static Path demoCorpus() {
    return Path.of(System.getProperty("ringtrain.root", ".")).resolve(DemoCommand.CORPUS);
  }

  /**
   * Tokenizes the demo corpus's first {@code lines} lines (a small corpus for tests) into
   * {@code out} with the given tokenize options; the command must succeed.
   */
  static void tokenizeDemoHead(Path out, int lines, String... options) throws IOException {
    Path corpus = out.resolveSibling(out.getFileName() + "-corpus.txt");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
            new GZIPInputStream(Files.newInputStream(demoCorpus())), StandardCharsets.UTF_8));
         OutputStream o = Files.newOutputStream(corpus)) {
      for (int i = 0; i < lines; i++) o.write((r.readLine() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    List<String> args = new ArrayList<>(List.of("tokenize", "--input", corpus.toString(), "--output",
        out.toString()));
    args.addAll(List.of(options));
    Result r = run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.all());
  }

  static synchronized Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
      int code = RingtrainCommand.commandLine().setErr(new PrintWriter(err, true)).execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8) + err);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Cli() {}
}
