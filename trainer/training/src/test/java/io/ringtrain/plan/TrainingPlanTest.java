package io.ringtrain.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingPlanTest {
  static JobSpec spec(String text) {
    return JobSpecs.resolve(JobSpecs.parse(text, false, "test"), "test");
  }

  @Test
  void countsGpt2SmallAs124MParameters() {
    JobSpec gpt2 = spec("model { n_layer: 12 n_head: 12 n_embd: 768 block_size: 1024 vocab_size: 50257 }");
    assertEquals(124_439_808L, TrainingPlan.params(gpt2.getModel())); // Hugging Face's gpt2 count
    assertEquals(85_056_000L, TrainingPlan.nonEmbedding(gpt2.getModel()));
  }

  @Test
  void defaultBudgetIsTwentyTokensPerParameterRoundedUpToWholeSteps() {
    JobSpec s = spec("model { n_layer: 2 n_head: 2 n_embd: 32 block_size: 16 vocab_size: 100 } data { batch_size: 4 }");
    TrainingPlan p = TrainingPlan.of(s);
    long n = 100 * 32 + 16 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 64;
    assertEquals(n, p.params());
    assertEquals(64, p.tokensPerStep());
    assertEquals((20 * n + 63) / 64, p.steps());
    assertEquals(p.steps() * 64, p.tokens());
    assertEquals(6.0 * n * p.tokens(), p.flops6nd());
  }

  @Test
  void stepsOrTokensOverrideTheRatioAndWorkersScaleTheBatch() {
    JobSpec s = spec("schedule { tokens: 100000 } data { batch_size: 2 } cluster { workers: 4 } model { block_size: 64 }");
    TrainingPlan p = TrainingPlan.of(s);
    assertEquals(512, p.tokensPerStep());
    assertEquals(196, p.steps());
    assertEquals(7, TrainingPlan.of(spec("schedule { steps: 7 }")).steps());
  }

  static List<Long> planned(TrainingPlan p) {
    return p.checkpoints().planned().stream().map(CheckpointPlan.Planned::step).toList();
  }

  @Test
  void plannedCheckpointsSitAtFractionsOfTheBudgetAndTheLastStepIsAlwaysOne() {
    assertEquals(List.of(25L, 50L, 75L, 100L), planned(TrainingPlan.of(spec("schedule { steps: 100 }"))));
    assertEquals(List.of(10L, 100L), planned(TrainingPlan.of(spec("schedule { steps: 100 } checkpoint { at_fractions: 0.1 }"))));
    TrainingPlan safety = TrainingPlan.of(spec("schedule { steps: 100 } checkpoint { every_steps: 30 }"));
    assertTrue(safety.checkpoints().saves(30) && safety.checkpoints().saves(90) && !safety.checkpoints().isPlanned(30));
    assertEquals(List.of(1L, 2L, 3L), planned(TrainingPlan.of(spec("schedule { steps: 3 }"))));
  }

  @Test
  void withAChinchillaBudgetTheFractionsAreOfTwentyTokensPerParameter() {
    // 2 layers of width 32, context 32, vocabulary 64: N = 64·32 + 32·32 + 2·(12·32² + 13·32) + 2·32 = 28,544.
    JobSpec s = spec("model { n_layer: 2 n_head: 2 n_embd: 32 block_size: 32 vocab_size: 64 } data { batch_size: 4 }");
    TrainingPlan p = TrainingPlan.of(s);
    assertEquals(28_544, p.params());
    long d = 20 * 28_544;
    assertEquals(d, p.checkpoints().budgetTokens());
    for (CheckpointPlan.Planned c : p.checkpoints().planned()) {
      long expected = (long) Math.ceil(c.fraction() * d / 128.0); // 4 sequences of 32 tokens a step
      assertEquals(expected, c.step(), "fraction " + c.fraction());
      assertEquals(expected * 128, c.tokens());
      assertTrue(c.tokens() >= c.fraction() * d && c.tokens() - 128 < c.fraction() * d);
    }
    assertEquals(List.of(0.25, 0.5, 0.75, 1.0), p.checkpoints().planned().stream().map(CheckpointPlan.Planned::fraction).toList());
  }
}
