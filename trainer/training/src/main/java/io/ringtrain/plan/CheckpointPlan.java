package io.ringtrain.plan;

import com.google.gson.GsonBuilder;
import io.ringtrain.proto.CheckpointPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * When a job saves its state. Planned checkpoints sit at fractions of the token budget D (the
 * Chinchilla budget unless the job gives one) and are always kept; safety checkpoints every K steps
 * come on top and are pruned to the newest few. Time-based safety checkpoints are not in the plan:
 * the coordinator turns minutes into a step all ranks agree on while the job runs.
 *
 * @param budgetTokens D, the tokens the budget asked for (the plan's steps cover at least these)
 * @param tokensPerStep tokens of one optimizer step over all ranks
 * @param planned the planned checkpoints, in step order, the last step among them
 * @param everySteps safety checkpoints every this many steps; 0 for none
 * @param everyMinutes safety checkpoints every this many minutes of wall clock; 0 for none
 */
public record CheckpointPlan(long budgetTokens, long tokensPerStep, List<Planned> planned, long everySteps,
    double everyMinutes) {

  /** A planned checkpoint: the fraction of D it was asked at, and the step that first reaches it. */
  public record Planned(double fraction, long step, long tokens) {}

  static CheckpointPlan of(CheckpointPolicy policy, long budgetTokens, long tokensPerStep, long steps) {
    List<Planned> planned = new ArrayList<>();
    List<Double> fractions = new ArrayList<>(policy.getAtFractionsList());
    if (!fractions.contains(1.0)) fractions.add(1.0); // the end of training is always saved
    fractions.sort(Double::compare);
    for (double f : fractions) {
      long step = Math.min(steps, Math.max(1, (long) Math.ceil(f * budgetTokens / tokensPerStep)));
      if (planned.isEmpty() || planned.get(planned.size() - 1).step() != step) {
        planned.add(new Planned(f, step, step * tokensPerStep));
      }
    }
    return new CheckpointPlan(budgetTokens, tokensPerStep, List.copyOf(planned), policy.getEverySteps(),
        policy.getEveryMinutes());
  }

  public boolean isPlanned(long step) {
    return planned.stream().anyMatch(p -> p.step() == step);
  }

  /** Whether the plan itself (planned or every K steps) saves after {@code step}. */
  public boolean saves(long step) {
    return isPlanned(step) || (everySteps > 0 && step % everySteps == 0);
  }

  /** The fraction of D that {@code step} has consumed. */
  public double fractionOfBudget(long step) {
    return step * (double) tokensPerStep / budgetTokens;
  }

  public String describe() {
    StringBuilder b = new StringBuilder("checkpoints planned at");
    for (Planned p : planned) {
      b.append(String.format(Locale.ROOT, " step %d (%.0f%% of D)", p.step(), 100 * p.fraction()));
      if (p != planned.get(planned.size() - 1)) b.append(',');
    }
    if (everySteps > 0) b.append("; safety checkpoints every ").append(everySteps).append(" steps");
    if (everyMinutes > 0) b.append(String.format(Locale.ROOT, "; safety checkpoints every %.3g minutes", everyMinutes));
    return b.toString();
  }

  /** The plan as the JSON file a run directory keeps ({@code checkpoint-plan.json}). */
  public String toJson() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("budget_tokens", budgetTokens);
    o.put("tokens_per_step", tokensPerStep);
    List<Map<String, Object>> ps = new ArrayList<>();
    for (Planned p : planned) ps.add(Map.of("fraction", p.fraction(), "step", p.step(), "tokens", p.tokens()));
    o.put("planned", ps);
    o.put("safety_every_steps", everySteps);
    o.put("safety_every_minutes", everyMinutes);
    return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
  }
}
