package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.sweep.ModelFamily;
import io.ringtrain.sweep.SweepResults;
import io.ringtrain.sweep.SweepRun;
import io.ringtrain.sweep.SweepSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** The CI sweep (deploy/examples/sweep-tiny.json) end to end, its resumption, the family rule, bad specs. */
@Tag("slow")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SweepCommandTest {
  @TempDir static Path tmp;
  static final Path TINY = Path.of(System.getProperty("ringtrain.root", ".")).resolve("deploy/examples/sweep-tiny.json");
  static final List<String> RUNS = List.of("w16-l2-t4096", "w16-l2-t8192", "w32-l2-t4096", "w32-l2-t8192",
      "w48-l2-t4096", "w48-l2-t8192");

  /** The first 400 lines of the demo corpus, with a 512-token vocabulary. */
  @BeforeAll
  static void tokenize() throws IOException {
    Cli.tokenizeDemoHead(Path.of(data()), 400, "--vocab-size", "512", "--val-fraction", "0.1");
  }

  static String data() {
    return tmp.resolve("data").toString();
  }

  static Cli.Result sweep(Path out, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("sweep", "--spec", TINY.toString(), "--data", data(),
        "--out", out.toString(), "--bootstrap", "20", "--coarse-fit"));
    args.addAll(List.of(more));
    return Cli.run(args.toArray(String[]::new));
  }

  @Test
  @Order(1)
  void tinySweepPlansTrainsWritesResultsAndFits() throws IOException {
    Path out = tmp.resolve("tiny");
    Cli.Result plan = sweep(out, "--dry-run");
    assertEquals(0, plan.code(), plan.all());
    for (String run : RUNS) assertTrue(plan.out().contains(run + " "), plan.out());
    assertTrue(plan.out().contains("6 runs, 0 done; estimated time left"), plan.out());
    assertFalse(Files.exists(out.resolve("runs")), "a dry run trains nothing");

    Cli.Result r = sweep(out);
    assertEquals(0, r.code(), r.all());
    List<String> rows = Files.readAllLines(out.resolve("results.csv"));
    assertEquals(SweepResults.HEADER, rows.get(0));
    assertEquals(RUNS.size() + 1, rows.size(), String.join("\n", rows));
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",");
      assertTrue(RUNS.contains(f[0]), row);
      double loss = Double.parseDouble(f[5]);
      assertTrue(loss > 0 && loss < Math.log(512) + 0.5, row);
      assertEquals(6.0 * Long.parseLong(f[1]) * Long.parseLong(f[3]), Double.parseDouble(f[4]), 1, row);
    }
    assertTrue(r.out().contains("fitted to 6 runs"), r.out());
    assertTrue(r.out().contains(", 243 L-BFGS starts,"), "the coarse grid was passed on: " + r.out());
    assertTrue(Files.size(out.resolve("plots/loss_vs_flops.png")) > 1000);
    assertTrue(Files.exists(out.resolve("fit.txt")));
  }

  @Test
  @Order(2)
  void aDeletedRunIsTheOnlyOneTrainedAgain() throws IOException {
    Path out = tmp.resolve("tiny");
    Map<String, FileTime> before = metricsTimes(out);
    PipelineTest.deleteTree(out.resolve("runs/w32-l2-t8192"));
    Cli.Result r = sweep(out);
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("6 of 6 runs finished (1 trained now)"), r.out());
    Map<String, FileTime> after = metricsTimes(out);
    for (String run : RUNS) {
      if (!run.equals("w32-l2-t8192")) assertEquals(before.get(run), after.get(run), run + " was trained again");
    }
    assertEquals(RUNS.size() + 1, Files.readAllLines(out.resolve("results.csv")).size());
  }

  @Test
  @Order(3)
  void aStoppedSweepStartedAgainRunsOnlyWhatIsMissing() throws IOException {
    Path out = tmp.resolve("stopped");
    Cli.Result first = sweep(out, "--max-runs", "2");
    assertEquals(0, first.code(), first.all());
    assertTrue(first.out().contains("stopping after 2 runs"), first.out());
    assertTrue(first.out().contains("no fit yet"), "2 points are too few for a fit, reported: " + first.out());
    assertEquals(3, Files.readAllLines(out.resolve("results.csv")).size());
    Map<String, FileTime> before = metricsTimes(out);
    // A run killed mid-way leaves a directory without its final checkpoint: it is started again.
    Files.createDirectories(out.resolve("runs").resolve(RUNS.get(2)));
    Files.writeString(out.resolve("runs").resolve(RUNS.get(2)).resolve("spec.json"), "{}");

    Cli.Result second = sweep(out);
    assertEquals(0, second.code(), second.all());
    assertTrue(second.out().contains("6 of 6 runs finished (4 trained now)"), second.out());
    assertTrue(second.out().contains(RUNS.get(2) + " is unfinished"), second.out());
    Map<String, FileTime> after = metricsTimes(out);
    for (String run : RUNS.subList(0, 2)) assertEquals(before.get(run), after.get(run), run + " was trained again");
    assertEquals(RUNS.size() + 1, Files.readAllLines(out.resolve("results.csv")).size());
  }

  static Map<String, FileTime> metricsTimes(Path out) throws IOException {
    Map<String, FileTime> times = new HashMap<>();
    for (String run : RUNS) {
      Path m = out.resolve("runs").resolve(run).resolve("metrics.jsonl");
      if (Files.exists(m)) times.put(run, Files.getLastModifiedTime(m));
    }
    return times;
  }

  @Test
  void familyMapsSizesToValidShapesNearTheTargets() {
    ModelSpec base = ModelSpec.newBuilder().setBlockSize(32).setVocabSize(512).setVocabPadMultiple(64).build();
    ModelFamily family = ModelFamily.DEFAULT;
    long previous = 0;
    for (long target : new long[] {30_000, 100_000, 300_000, 1_000_000, 3_000_000}) {
      ModelSpec m = family.nearest(target, base);
      long n = TrainingPlan.params(m);
      assertTrue(n > previous, "sizes grow with the target");
      previous = n;
      assertTrue(Math.abs(Math.log(n / (double) target)) < Math.log(1.5), target + " -> " + n);
      assertEquals(0, m.getNEmbd() % family.widthStep());
      assertEquals(m.getNEmbd(), m.getNHead() * family.headSize());
      assertEquals(Math.max(1, Math.min(8, m.getNEmbd() / 32)), m.getNLayer());
      assertEquals(32, m.getBlockSize());
    }
    // Nearest in ratio: no other width of the family is closer.
    ModelSpec m = family.nearest(200_000, base);
    for (int k = 1; k < 40; k++) {
      long other = TrainingPlan.params(family.shape(k, base));
      assertTrue(Math.abs(Math.log(other / 200_000.0)) >= Math.abs(Math.log(TrainingPlan.params(m) / 200_000.0)));
    }
    UserFacingFailure tooSmall = assertThrows(UserFacingFailure.class, () -> family.nearest(1_000, base));
    assertEquals(ExitCodes.BAD_INPUT, tooSmall.exitCode());
  }

  @Test
  void isoFlopRunsGetTheirBudgetsTokensAndOneEvalAndCheckpointAtTheEnd() {
    SweepSpec sweep = SweepSpec.parse("{\"mode\": \"isoflop\", \"flops\": [1e11, \"3e11\"], "
        + "\"params\": [30000, 130000, 400000], \"launcher\": \"simulate\", \"workers\": 2, "
        + "\"base\": {\"model\": {\"block_size\": 64, \"vocab_size\": 512}, \"data\": {\"train\": \"x.bin\"}}}",
        "test");
    List<SweepRun> runs = SweepRun.plan(sweep, io.ringtrain.spec.JobSpecs.resolve(sweep.base(), "test"), tmp);
    assertEquals(6, runs.size());
    for (SweepRun run : runs) {
      double c = run.budget();
      assertTrue(c == 1e11 || c == 3e11, run.name());
      double d = c / (6.0 * run.plan().params());
      assertTrue(run.plan().tokens() >= d && run.plan().tokens() < d + run.plan().tokensPerStep(), run.name());
      assertEquals(run.plan().steps(), run.spec().getSchedule().getEvalInterval());
      assertEquals(List.of(run.plan().steps()), run.plan().checkpoints().planned().stream().map(io.ringtrain.plan.CheckpointPlan.Planned::step).toList());
      assertEquals(2, run.spec().getCluster().getWorkers());
      assertEquals(tmp.resolve("runs").resolve(run.name()).toString(), run.spec().getOut());
    }
    assertEquals(6, runs.stream().map(SweepRun::name).distinct().count());
  }

  @Test
  void badSweepSpecsAreNamedErrors() throws IOException {
    String base = "\"base\": {\"model\": {\"block_size\": 32}}";
    Map<String, String> cases = Map.of(
        "{" + base + ", \"mode\": \"spiral\", \"params\": [30000], \"tokens\": [4096]}", "mode=\"spiral\"",
        "{" + base + ", \"mode\": \"grid\", \"params\": [30000]}", "tokens is missing",
        "{" + base + ", \"mode\": \"isoflop\", \"params\": [30000], \"flops\": [-1]}", "flops holds -1",
        "{" + base + ", \"mode\": \"grid\", \"params\": [30000], \"tokens\": [4096], \"sizes\": 3}", "unknown key sizes",
        "{" + base + ", \"mode\": \"grid\", \"params\": [30000], \"tokens\": [4096], \"workers\": 4}",
        "needs launcher \"simulate\"",
        "{" + base + ", \"mode\": \"grid\", \"params\": [30000], \"tokens\": [4096], \"family\": {\"head_size\": 24}}",
        "family.head_size=24 must divide",
        "{\"base\": {\"optimizer\": {\"lr\": -1}}, \"mode\": \"grid\", \"params\": [30000], \"tokens\": [4096]}",
        "optimizer.lr=-1.0",
        "{\"mode\": \"grid\", \"params\": [30000], \"tokens\": [4096]}", "names no data",
        "{\"mode\": ", "not valid JSON");
    int i = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path spec = tmp.resolve("bad-" + i++ + ".json");
      Files.writeString(spec, c.getKey());
      String[] args = c.getValue().equals("names no data") ? new String[] {"sweep", "--spec", spec.toString()}
          : new String[] {"sweep", "--spec", spec.toString(), "--data", data(), "--out", tmp.resolve("bad").toString()};
      Cli.Result r = Cli.run(args);
      assertEquals(2, r.code(), c.getKey() + ": " + r.all());
      assertTrue(r.err().contains(c.getValue()), c.getKey() + ": " + r.err());
    }
    assertFalse(Files.exists(tmp.resolve("bad")), "a bad spec changes nothing");
  }
}
