package io.ringtrain.sweep;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.spec.JobSpecs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One planned run of a sweep: its name, its complete job spec, its plan and its compute budget
 * (IsoFLOP: the sweep's C, which whole steps miss by up to a step's tokens; grid: its own 6ND).
 * The name is made of the shape and the planned tokens, so the same sweep file always plans the
 * same names and a restarted sweep finds its finished runs.
 */
public record SweepRun(String name, JobSpec spec, TrainingPlan plan, double budget) {
  ModelSpec model() {
    return spec.getModel();
  }

  /** 6ND with the total parameters and the tokens actually trained (whole steps). */
  double flops() {
    return 6.0 * plan.params() * plan.tokens();
  }

  /**
   * Every run of the sweep, in order (grid: sizes × budgets; IsoFLOP: budgets × sizes). Runs
   * that two targets map to the same shape and tokens are planned once.
   */
  public static List<SweepRun> plan(SweepSpec sweep, JobSpec base, Path out) {
    Map<String, SweepRun> runs = new LinkedHashMap<>();
    if (sweep.mode().equals(SweepSpec.GRID)) {
      for (long target : sweep.params()) {
        ModelSpec m = sweep.family().nearest(target, base.getModel());
        for (double tokens : sweep.tokens()) add(runs, of(sweep, base, m, (long) Math.ceil(tokens), out, 0));
      }
    } else {
      for (double c : sweep.flops()) {
        for (long target : sweep.params()) {
          ModelSpec m = sweep.family().nearest(target, base.getModel());
          double d = c / (6.0 * TrainingPlan.params(m));
          add(runs, of(sweep, base, m, (long) Math.ceil(d), out, c));
        }
      }
    }
    return new ArrayList<>(runs.values());
  }

  private static void add(Map<String, SweepRun> runs, SweepRun run) {
    runs.putIfAbsent(run.name(), run);
  }

  /**
   * The base spec with this shape and token budget; evaluated once, at the last step (so the
   * final validation loss is in metrics.jsonl), and checkpointed once, at the end.
   */
  private static SweepRun of(SweepSpec sweep, JobSpec base, ModelSpec m, long tokens, Path out, double budget) {
    // One JVM unless simulated: as `train` does, the base's workers become accumulated micro-batches.
    JobSpec.Builder b = (sweep.launcher().equals("simulate") ? base : JobSpecs.inOneProcess(base)).toBuilder().setModel(m);
    b.getScheduleBuilder().setSteps(0).setTokens(tokens);
    b.getCheckpointBuilder().clearAtFractions().addAtFractions(1.0).setEverySteps(0).setKeepLast(0);
    if (sweep.launcher().equals("simulate")) b.getClusterBuilder().setWorkers(sweep.workers());
    TrainingPlan plan = TrainingPlan.of(JobSpecs.resolve(b.build(), "sweep run"));
    if (tokens < plan.tokensPerStep()) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, String.format(
          "a run of %d parameters gets %d tokens, less than one step (%d tokens): raise its token or FLOP budget",
          plan.params(), tokens, plan.tokensPerStep()));
    }
    String name = String.format("w%d-l%d-t%d", m.getNEmbd(), m.getNLayer(), plan.tokens());
    b.setName(name).setOut(out.resolve("runs").resolve(name).toString());
    b.getScheduleBuilder().setEvalInterval((int) Math.min(Integer.MAX_VALUE, plan.steps()));
    JobSpec spec = JobSpecs.resolve(b.build(), "sweep run " + name);
    TrainingPlan planned = TrainingPlan.of(spec);
    return new SweepRun(name, spec, planned, budget > 0 ? budget : 6.0 * planned.params() * planned.tokens());
  }
}
