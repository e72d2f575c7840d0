package io.ringtrain.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSpecsTest {
  /** One shape, one layout: the spec's default padding is the model factory's. */
  @Test
  void theSpecPadsTheVocabularyAsTheModelFactoryDoes() {
    ModelSpec m = JobSpecs.resolve(JobSpecs.parse("model { n_layer: 2 n_head: 2 n_embd: 16 block_size: 8 vocab_size: 300 }",
        false, "t"), "t").getModel();
    assertEquals(io.ringtrain.model.GptConfig.of(2, 2, 16, 8, 300), io.ringtrain.train.Trainer.config(m));
    assertEquals(320, io.ringtrain.train.Trainer.config(m).paddedVocabSize());
  }

  /** `train` and a sweep's runs fold workers into accumulation: the same tokens per step. */
  @Test
  void inOneProcessKeepsTheGlobalBatch() {
    JobSpec four = JobSpecs.resolve(JobSpecs.parse("model { n_layer: 1 n_head: 1 n_embd: 8 block_size: 8 vocab_size: 16 }"
        + " data { batch_size: 2 } cluster { workers: 4 } schedule { grad_accum: 3 steps: 5 }", false, "t"), "t");
    JobSpec one = JobSpecs.inOneProcess(four);
    assertEquals(1, one.getCluster().getWorkers());
    assertEquals(12, one.getSchedule().getGradAccum());
    assertEquals(io.ringtrain.plan.TrainingPlan.of(four).tokensPerStep(), io.ringtrain.plan.TrainingPlan.of(one).tokensPerStep());
    assertEquals(one, JobSpecs.inOneProcess(one));
  }

  @Test
  void emptySpecGetsEveryDefaultAndIsValid() {
    JobSpec spec = JobSpecs.resolve(JobSpec.getDefaultInstance(), "test");
    assertEquals(4, spec.getModel().getNLayer());
    assertEquals(20.0, spec.getSchedule().getTokensPerParam());
    assertEquals("java", spec.getCluster().getBackend());
    assertTrue(spec.getOptimizer().hasWeightDecay());
  }

  @Test
  void explicitZeroIsKeptNotReplacedByTheDefault() {
    JobSpec spec = JobSpecs.parse("{\"optimizer\": {\"weight_decay\": 0}}", true, "inline");
    assertEquals(0.0, JobSpecs.resolve(spec, "inline").getOptimizer().getWeightDecay());
  }

  @Test
  void jsonAndTextFormatAgree(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("job.json");
    Files.writeString(json, "{\"model\": {\"n_layer\": 6, \"nHead\": 6, \"n_embd\": 384}, \"seed\": 7}");
    Path text = dir.resolve("job.txtpb");
    Files.writeString(text, "model { n_layer: 6 n_head: 6 n_embd: 384 } seed: 7");
    assertEquals(JobSpecs.load(json), JobSpecs.load(text));
  }

  @Test
  void headsThatDoNotDivideTheWidthAreNamed() {
    JobSpec spec = JobSpecs.parse("{\"model\": {\"n_head\": 6, \"n_embd\": 256}}", true, "inline");
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.resolve(spec, "inline"));
    assertEquals(1, e.problems().size(), e.getMessage());
    assertEquals("model.n_head=6 does not divide model.n_embd=256", e.problems().get(0));
  }

  @Test
  void everyBadFieldIsReportedAtOnce() {
    JobSpec spec = JobSpecs.parse(
        "model { vocab_size: 70000 } data { batch_size: 0 } optimizer { lr: -1 } "
            + "schedule { steps: 10 tokens: 100 } cluster { backend: \"cuda\" coordinator_port: 70000 wire_dtype: \"fp16\" }",
        false, "inline");
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.resolve(spec, "inline"));
    String all = String.join("\n", e.problems());
    for (String field : new String[] {"model.vocab_size=70000", "data.batch_size=0", "optimizer.lr=-1.0",
        "schedule.steps=10 and schedule.tokens=100", "cluster.backend=\"cuda\"", "cluster.coordinator_port=70000",
        "cluster.wire_dtype=\"fp16\" is not one of [fp32, bf16]"}) {
      assertTrue(all.contains(field), () -> "missing " + field + " in\n" + all);
    }
    assertEquals(7, e.problems().size(), all);
  }

  @Test
  void unknownFieldsAndSyntaxErrorsAreRejectedWithTheSource() {
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class,
        () -> JobSpecs.parse("{\"model\": {\"layers\": 3}}", true, "job.json"));
    assertTrue(e.getMessage().contains("job.json") && e.getMessage().contains("layers"), e.getMessage());
    assertThrows(InvalidJobSpecException.class, () -> JobSpecs.parse("model { n_layer: }", false, "x"));
  }

  @Test
  void jsonRoundTrip() {
    JobSpec spec = JobSpecs.resolve(JobSpec.getDefaultInstance(), "test");
    assertEquals("fp32", spec.getCluster().getWireDtype());
    assertEquals(spec, JobSpecs.parse(JobSpecs.toJson(spec), true, "roundtrip"));
    JobSpec bf16 = JobSpecs.resolve(JobSpecs.parse("{\"cluster\": {\"wire_dtype\": \"bf16\"}}", true, "x"), "x");
    String json = JobSpecs.toJson(bf16);
    assertTrue(json.contains("\"wire_dtype\": \"bf16\""), json);
    assertEquals(bf16, JobSpecs.parse(json, true, "roundtrip"));
  }

  @Test
  void modelsTooLargeForOneArrayAreNamedWithoutOverflow() {
    JobSpec wide = JobSpecs.parse("model { n_layer: 1 n_head: 2 n_embd: 2000000000 }", false, "inline");
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.resolve(wide, "inline"));
    assertEquals(1, e.problems().size(), e.getMessage());
    assertTrue(e.problems().get(0).startsWith("model.n_layer=1 with model.n_embd=2000000000 makes over 9.2e18 parameters"),
        e.getMessage());
    JobSpec deep = JobSpecs.parse("model { n_layer: 100000 }", false, "inline");
    e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.resolve(deep, "inline"));
    long params = 100_000L * (12 * 128 * 128 + 13 * 128) + 2 * 128 + (4096 + 128) * 128; // default width, vocab, context
    assertTrue(e.getMessage().contains(params + " parameters, more than the 2147483631"), e.getMessage());
  }

  @Test
  void threadsAndWorkersHaveAnUpperBound() {
    JobSpec spec = JobSpecs.parse("cluster { threads: 100000 workers: 5000 }", false, "inline");
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.resolve(spec, "inline"));
    String all = String.join("\n", e.problems());
    assertTrue(all.contains("cluster.threads=100000 is outside 1..1024"), all);
    assertTrue(all.contains("cluster.workers=5000 is outside 1..1024"), all);
  }

  @Test
  void jsonTypeErrorsAreAllNamedByField() {
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpecs.parse(
        "{\"model\": {\"n_head\": 2.5, \"nEmbd\": \"wide\", \"depth\": 3}, \"optimizer\": {\"lr\": true},"
            + " \"data\": 7}", true, "job.json"));
    assertEquals(List.of(
        "model.n_head=2.5 must be a whole number (int32)",
        "model.nEmbd=\"wide\" must be a whole number (int32)",
        "model.depth is not a field of ModelSpec (its fields: " + ModelSpec.getDescriptor().getFields().stream()
            .map(f -> f.getName()).toList() + ")",
        "optimizer.lr=true must be a number",
        "data=7 must be an object"), e.problems());
    assertTrue(e.getMessage().contains("job.json"), e.getMessage());
  }
}
