package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.scaling.ScalingLawFit;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FitCommandTest {
  // Hoffmann et al.'s fit, used to generate the sweep.
  private static final double E = 1.69;
  private static final double A = 406.4;
  private static final double B = 410.7;
  private static final double ALPHA = 0.34;
  private static final double BETA = 0.28;

  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new FitCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /**
   * An IsoFLOP sweep: 4 budgets, 7 model sizes each around the optimum, 0.5% noise on the loss,
   * in the given column names (params, tokens, flops, loss order) plus a budget column.
   */
  private Path sweep(String header) throws IOException {
    Random random = new Random(5);
    StringBuilder csv = new StringBuilder(header).append('\n');
    double g = Math.pow(ALPHA * A / (BETA * B), 1 / (ALPHA + BETA));
    for (double c = 1e17; c <= 1e20; c *= 10) {
      double center = g * Math.pow(c / 6, BETA / (ALPHA + BETA));
      for (int i = -3; i <= 3; i++) {
        double n = center * Math.pow(2.5, i / 1.5);
        double d = c / (6 * n);
        double loss = (E + A / Math.pow(n, ALPHA) + B / Math.pow(d, BETA))
            * Math.exp(0.005 * random.nextGaussian());
        csv.append(String.format(Locale.ROOT, "%.6e,%.6e,%.6e,%.6f,%.1e%n", n, d, c, loss, c));
      }
    }
    Path file = dir.resolve("results.csv");
    Files.writeString(file, csv);
    return file;
  }

  @Test
  void printsJsonAndDrawsPlots() throws IOException {
    Path csv = sweep("params,tokens,flops,loss,budget");
    Path plots = dir.resolve("plots");
    Run run = run("--input", csv.toString(), "--json", "--bootstrap", "20", "--budget-flops",
        "1e21", "--predict", "1e9,2e10", "--plots", plots.toString(), "--coarse-starts");
    assertEquals(0, run.exit, run.err);
    assertEquals("", run.err);
    JsonObject json = JsonParser.parseString(run.out).getAsJsonObject();
    assertEquals(28, json.get("points").getAsInt());
    assertEquals(ScalingLawFit.coarseGrid().size(), json.get("starts").getAsInt());
    double e = json.get("E").getAsDouble();
    assertEquals(E, e, 0.1);
    assertEquals(ALPHA, json.get("alpha").getAsDouble(), 0.1);
    assertEquals(BETA, json.get("beta").getAsDouble(), 0.1);
    for (String name : new String[] {"E", "A", "B", "alpha", "beta"}) {
      JsonArray ci = json.getAsJsonArray(name + "_ci");
      double value = json.get(name).getAsDouble();
      assertEquals(2, ci.size(), name);
      assertTrue(ci.get(0).getAsDouble() <= value && value <= ci.get(1).getAsDouble(),
          name + " = " + value + " outside " + ci);
    }
    JsonObject iso = json.getAsJsonObject("isoflop");
    assertEquals(4, iso.getAsJsonArray("budgets").size(), iso.toString());
    assertEquals(BETA / (ALPHA + BETA), iso.get("a").getAsDouble(), 0.05);
    JsonObject optimal = json.getAsJsonObject("compute_optimal");
    double n = optimal.get("params").getAsDouble();
    double d = optimal.get("tokens").getAsDouble();
    assertEquals(1e21, 6 * n * d, 1e12);
    assertEquals(d / n, optimal.get("tokens_per_param").getAsDouble(), 1e-9 * d / n);
    JsonObject predicted = json.getAsJsonObject("predict");
    assertEquals(E + A / Math.pow(1e9, ALPHA) + B / Math.pow(2e10, BETA),
        predicted.get("loss").getAsDouble(), 0.02);

    assertEquals(3, json.getAsJsonArray("plots").size());
    for (String name : new String[] {"loss_vs_flops.png", "isoflop.png", "compute_optimal.png"}) {
      BufferedImage image = ImageIO.read(plots.resolve(name).toFile());
      assertEquals(1000, image.getWidth(), name);
      assertEquals(650, image.getHeight(), name);
      assertTrue(distinctColours(image) > 20, name + " has " + distinctColours(image) + " colours");
    }
  }

  private static int distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }

  @Test
  void printsATableWithMappedColumnsAndAnHourBudget() throws IOException {
    Path csv = sweep("N,D,C,final_loss,budget");
    Run run = run("--input", csv.toString(), "--params-col", "N", "--tokens-col", "D",
        "--flops-col", "C", "--loss-col", "final_loss", "--budget-col", "budget",
        "--bootstrap", "0", "--drop-highest", "2", "--budget-hours", "10",
        "--flops-per-second", "1.5e11", "--coarse-starts");
    assertEquals(0, run.exit, run.err);
    assertTrue(run.out.contains("fitted to 26 runs"), run.out);
    assertTrue(run.out.contains(", 243 L-BFGS starts,"), run.out);
    assertTrue(run.out.contains("(2 highest losses dropped)"), run.out);
    assertTrue(run.out.contains("budget C, FLOPs       5.400e+15 (10.00 h at 1.500e+11 FLOP/s)"),
        run.out);
    // Aligned: every row of the parameter table starts its estimate in the same column.
    String[] lines = run.out.split("\\R");
    int column = -1;
    for (String line : lines) {
      if (line.matches("(parameter|E|A|B|alpha|beta) .*")) {
        int start = line.indexOf(' ');
        while (line.charAt(start) == ' ') {
          start++;
        }
        assertTrue(column < 0 || column == start, "misaligned: " + line);
        column = start;
      }
    }
    assertTrue(column > 0);
  }

  @Test
  void badInputExitsTwoWithOneLine() throws IOException {
    Path csv = dir.resolve("bad.csv");
    Files.writeString(csv, "params,tokens,loss\n1e8,1e9,3.1\n2e8,1e9,oops\n");
    assertBadInput(run("--input", csv.toString()), "line 3, column 'loss': 'oops' is not a number");
    assertBadInput(run("--input", dir.resolve("absent.csv").toString()), "no such file");
    assertBadInput(run("--input", csv.toString(), "--params-col", "size"), "no column 'size'");
    assertBadInput(run("--input", csv.toString(), "--budget-hours", "3"),
        "--budget-hours and --flops-per-second go together");
    assertBadInput(run("--input", csv.toString(), "--predict", "1e9"), "--predict takes N,D");
    Run unknown = run("--input", csv.toString(), "--no-such-option");
    assertEquals(2, unknown.exit);
  }

  private static void assertBadInput(Run run, String message) {
    assertEquals(2, run.exit, run.err);
    assertTrue(run.err.startsWith("ringtrain fit: "), run.err);
    assertTrue(run.err.contains(message), run.err);
    assertEquals(1, run.err.lines().count(), run.err);
  }

  /** Plots that cannot be written are the environment's failure: the documented 3, not 1. */
  @Test
  void unwritablePlotsExitThree() throws IOException {
    Path csv = sweep("params,tokens,flops,loss,budget");
    Path notADir = dir.resolve("a-file");
    Files.writeString(notADir, "");
    Run run = run("--input", csv.toString(), "--bootstrap", "0", "--plots", notADir.resolve("plots").toString(),
        "--coarse-starts");
    assertEquals(ExitCodes.IO_ERROR, run.exit, run.err);
    assertTrue(run.err.startsWith("ringtrain fit: cannot write the plots: "), run.err);
  }

  @Test
  void illPosedFitExitsOne() throws IOException {
    Path csv = dir.resolve("one-size.csv");
    Files.writeString(csv, "params,tokens,loss\n"
        + "1e8,1e9,3.5\n1e8,2e9,3.3\n1e8,4e9,3.2\n1e8,8e9,3.1\n1e8,1.6e10,3.05\n");
    Run run = run("--input", csv.toString());
    assertEquals(1, run.exit);
    assertEquals(1, run.err.lines().count(), run.err);
    assertTrue(run.err.contains("the fit failed: all points have the same model size"), run.err);
  }
}
