package io.ringtrain.cli;

import com.google.gson.GsonBuilder;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.CorruptCheckpointException;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.plan.CheckpointPlan;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ringtrain checkpoints}: a run's checkpoint plan and what is on disk, each one verified. */
@Command(
    name = "checkpoints",
    mixinStandardHelpOptions = true,
    description = {
      "List a run's checkpoints: step, tokens, fraction of the token budget D, size, planned or safety, and",
      "whether it verifies (its manifest's seal, every tensor's SHA-256, its step, its run and its shape)."
    })
public final class CheckpointsCommand implements Callable<Integer> {
  @Parameters(paramLabel = "RUN_DIR", description = "The run directory.")
  String runDir;

  @Option(names = "--json", description = "One JSON object: the plan and the checkpoints.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path run = new Path(runDir);
    FileSystem fs = run.getFileSystem(HadoopConf.configuration());
    JobSpec spec = ResumeCommand.runSpec(fs, run);
    CheckpointPlan plan = TrainingPlan.of(spec).checkpoints();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Path dir : Checkpoints.numbered(fs, run)) {
      Map<String, Object> row = new LinkedHashMap<>();
      long step = Long.parseLong(dir.getName());
      row.put("step", step);
      row.put("tokens", step * plan.tokensPerStep());
      row.put("fraction_of_budget", plan.fractionOfBudget(step));
      row.put("bytes", fs.getContentSummary(dir).getLength());
      row.put("kind", plan.isPlanned(step) ? "planned" : "safety");
      try {
        Checkpoints.loadFor(fs, dir, spec);
        row.put("verified", true);
      } catch (CorruptCheckpointException e) {
        row.put("verified", false);
        row.put("problem", e.getMessage());
      }
      rows.add(row);
    }
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("budget_tokens", plan.budgetTokens());
      o.put("planned_steps", plan.planned().stream().map(CheckpointPlan.Planned::step).toList());
      o.put("checkpoints", rows);
      System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(o));
      return ExitCodes.OK;
    }
    System.out.println(plan.describe() + " (D = " + plan.budgetTokens() + " tokens)");
    System.out.printf(Locale.ROOT, "%8s %12s %7s %10s %8s  %s%n", "step", "tokens", "of D", "MB", "kind", "verified");
    for (Map<String, Object> r : rows) {
      System.out.printf(Locale.ROOT, "%8d %12d %6.1f%% %10.2f %8s  %s%n", r.get("step"), r.get("tokens"),
          100 * (double) r.get("fraction_of_budget"), (long) r.get("bytes") / 1e6, r.get("kind"),
          (boolean) r.get("verified") ? "yes" : "NO: " + r.get("problem"));
    }
    if (rows.isEmpty()) System.out.println("(no checkpoint yet)");
    return ExitCodes.OK;
  }
}
