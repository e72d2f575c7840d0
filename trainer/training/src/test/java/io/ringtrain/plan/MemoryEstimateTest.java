package io.ringtrain.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.proto.JobSpec;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MemoryEstimateTest {
  @Test
  void parameterFloatsAreTheLayoutsFlatArrayLength() {
    JobSpec s = TrainingPlanTest.spec("model { n_layer: 2 n_head: 2 n_embd: 32 block_size: 16 vocab_size: 100 }");
    GptConfig c = GptConfig.of(2, 2, 32, 16, 100, s.getModel().getVocabPadMultiple());
    assertEquals(new ParameterLayout(c).numParams(), MemoryEstimate.parameterFloats(s.getModel()));
  }

  @Test
  void aModelLargerThanTheHeapIsNamedWithItsSize() {
    JobSpec deep = TrainingPlanTest.spec(
        "model { n_layer: 100000 n_head: 2 n_embd: 32 block_size: 32 } data { batch_size: 1 }");
    MemoryEstimate m = MemoryEstimate.of(deep);
    assertTrue(m.bytes() > 4L * 4 * 1_270_000_000L, "four float copies of 1.27G parameters: " + m.bytes());
    Optional<String> problem = m.problem(deep, 1L << 30, "this JVM's heap is 1.00 GiB");
    assertTrue(problem.isPresent());
    assertTrue(problem.get().contains("but this JVM's heap is 1.00 GiB") && problem.get().contains("1.27G"),
        problem.get());
    JobSpec tiny = TrainingPlanTest.spec("model { n_layer: 1 n_head: 2 n_embd: 32 block_size: 32 }");
    assertEquals(Optional.empty(), MemoryEstimate.of(tiny).problem(tiny, 1L << 30, "this JVM's heap is 1.00 GiB"));
  }
}
