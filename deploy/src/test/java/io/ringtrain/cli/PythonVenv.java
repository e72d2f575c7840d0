package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python environment with the real clients our files are for (PyTorch, Hugging Face
 * transformers and safetensors, TensorBoard), made once from pip's configured wheel directories
 * and reused: a venv at {@code -Dringtrain.venv}, by default {@code target/python-venv} in the
 * project root. A venv whose stamp file lists exactly {@link #REQUIREMENTS} is taken as it is;
 * into any other (or a new one) pip installs them first. If that fails, the test that needs the
 * venv fails and says why.
 */
final class PythonVenv {
  /**
   * What the tests run against. transformers 5 rather than 4.x: 4.57 needs huggingface-hub below
   * 1.0, and the wheels here are 1.33 and 2.0, so only 5.x installs without a network.
   */
  static final List<String> REQUIREMENTS = List.of("torch==2.13.0+cpu", "transformers==5.18.0",
      "safetensors==0.8.0", "tensorboard==2.21.0");
  private static final String STAMP = "ringtrain-requirements.txt";
  private static Path python;

  private PythonVenv() {}

  /** The venv's interpreter, making the venv first if needed. */
  static synchronized Path python() throws IOException, InterruptedException {
    if (python != null) return python;
    Path root = Path.of(System.getProperty("ringtrain.root", "."));
    Path venv = Path.of(System.getProperty("ringtrain.venv", root.resolve("target/python-venv").toString()));
    Path stamp = venv.resolve(STAMP);
    String wanted = String.join("\n", REQUIREMENTS) + "\n";
    if (!Files.exists(stamp) || !Files.readString(stamp).equals(wanted)) {
      if (!Files.exists(venv.resolve("bin/pip"))) {
        Files.createDirectories(venv.getParent());
        make(List.of("python3", "-m", "venv", venv.toString()), "python3 -m venv " + venv);
      }
      List<String> pip = new ArrayList<>(List.of(venv.resolve("bin/pip").toString(), "install", "-q",
          // Where no index is reachable (here, CI) every lookup pip makes beyond the local wheel
          // directories would retry for seconds: one try each is enough.
          "--retries", "0"));
      pip.addAll(REQUIREMENTS);
      make(pip, "pip install " + String.join(" ", REQUIREMENTS));
      Files.writeString(stamp, wanted);
    }
    python = venv.resolve("bin/python");
    return python;
  }

  /** Runs a script of bench/pytorch with the venv's python; returns its last stdout line. */
  static String runScript(String script, String... args) throws IOException, InterruptedException {
    Path root = Path.of(System.getProperty("ringtrain.root", "."));
    List<String> cmd = new ArrayList<>(List.of(python().toString(), root.resolve("bench/pytorch").resolve(script)
        .toString()));
    cmd.addAll(List.of(args));
    Output o = exec(cmd, 600);
    if (o.code() != 0) fail(script + " exited with " + o.code() + ":\n" + o.text());
    String[] lines = o.stdout().strip().split("\n");
    return lines[lines.length - 1];
  }

  private static void make(List<String> cmd, String what) throws IOException, InterruptedException {
    Output o = exec(cmd, 900);
    if (o.code() != 0) {
      fail("cannot make the Python venv the test needs: `" + what + "` exited with " + o.code() + ":\n"
          + tail(o.text()));
    }
  }

  record Output(int code, String stdout, String text) {}

  /** Runs {@code cmd}, stdout apart and everything together; a command past its time limit fails. */
  static Output exec(List<String> cmd, int seconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("ringtrain-py", ".out");
    Path err = Files.createTempFile("ringtrain-py", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        fail(String.join(" ", cmd) + " ran past " + seconds + " s:\n" + tail(Files.readString(err)));
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      return new Output(p.exitValue(), stdout, stdout + Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      fail("cannot run " + cmd.get(0) + ": " + e.getMessage());
      throw e;
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static String tail(String s) {
    return s.length() > 4000 ? "..." + s.substring(s.length() - 4000) : s;
  }
}
