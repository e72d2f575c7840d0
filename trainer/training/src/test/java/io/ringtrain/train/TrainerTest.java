package io.ringtrain.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.ShardSet;
import io.ringtrain.data.TokenShardWriter;
import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir java.nio.file.Path tmp;
  FileSystem fs;
  ShardSet train;

  /** A learnable stream: a noisy repeating sequence over 50 symbols. */
  @BeforeEach
  void writeData() throws IOException {
    fs = FileSystem.get(tmp.toUri(), HadoopConf.configuration());
    TokenShardWriter w = new TokenShardWriter(fs, new Path(tmp.resolve("train_000000.bin").toString()));
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 40_000; i++) w.add(r.nextInt(10) == 0 ? r.nextInt(50) : (i * 7) % 50);
    w.commit();
    train = ShardSet.open(tmp.resolve("train_000000.bin").toString(), HadoopConf.configuration());
  }

  JobSpec spec(String extra) {
    return JobSpecs.resolve(JobSpecs.parse("model { n_layer: 2 n_head: 2 n_embd: 32 block_size: 16 vocab_size: 50 }"
        + " data { batch_size: 4 } optimizer { lr: 0.01 } schedule { steps: 12 eval_interval: 0 } seed: 3 " + extra,
        false, "test"), "test");
  }

  List<Double> run(Trainer t) throws IOException {
    List<Double> losses = new ArrayList<>();
    t.run(new TrainingListener() {
      @Override
      public void onStep(StepResult s) {
        losses.add(s.loss());
      }
    });
    return losses;
  }

  @Test
  void resumedRunRepeatsTheUninterruptedLossesBitForBit() throws IOException {
    JobSpec spec = spec("checkpoint { every_steps: 5 at_fractions: 1 }");
    List<Double> whole;
    try (JavaBackend be = new JavaBackend(2)) {
      whole = run(new Trainer(spec, be, Collective.single(), train, null, fs, new Path(tmp.resolve("a").toString()), null));
    }
    Path runB = new Path(tmp.resolve("b").toString());
    try (JavaBackend be = new JavaBackend(2)) {
      Trainer t = new Trainer(spec, be, Collective.single(), train, null, fs, runB, null);
      RuntimeException crash = assertThrows(RuntimeException.class, () -> t.run(new TrainingListener() {
        @Override
        public void onStep(StepResult s) {
          if (s.step() == 7) throw new RuntimeException("simulated crash");
        }
      }));
      assertEquals("simulated crash", crash.getMessage());
    }
    Checkpoints.Loaded at5 = Checkpoints.load(fs, Checkpoints.latest(fs, runB).orElseThrow());
    assertEquals(5, at5.manifest().getStep());
    try (JavaBackend be = new JavaBackend(2)) {
      Trainer resumed = new Trainer(spec, be, Collective.single(), train, null, fs, runB, at5);
      assertEquals(5, resumed.step());
      List<Double> rest = run(resumed);
      assertEquals(whole.subList(5, 12), rest);
    }
  }

  @Test
  void lossFallsFarBelowTheUniformBaseline() throws IOException {
    JobSpec spec = spec("").toBuilder().setSchedule(spec("").getSchedule().toBuilder().setSteps(80)).build();
    try (JavaBackend be = new JavaBackend(2)) {
      List<Double> losses = run(new Trainer(spec, be, Collective.single(), train, null, fs,
          new Path(tmp.resolve("c").toString()), null));
      double first = losses.get(0);
      double last = losses.subList(70, 80).stream().mapToDouble(d -> d).average().orElseThrow();
      assertEquals(Math.log(50), first, 0.3, "starts near uniform over 50 tokens");
      // The stream is 90% deterministic: an entropy near 0.1·ln 50 + H(0.9) ≈ 0.72 nats is reachable.
      assertTrue(last < 1.5, "loss after 80 steps: " + last + " (from " + first + ")");
    }
  }

  @Test
  void checkpointOfAnotherShapeIsRefused() throws IOException {
    JobSpec spec = spec("");
    Path run = new Path(tmp.resolve("d").toString());
    try (JavaBackend be = new JavaBackend(1)) {
      new Trainer(spec, be, Collective.single(), train, null, fs, run, null).save();
    }
    Checkpoints.Loaded c = Checkpoints.load(fs, Checkpoints.latest(fs, run).orElseThrow());
    JobSpec wider = spec.toBuilder().setModel(spec.getModel().toBuilder().setNEmbd(64)).build();
    try (JavaBackend be = new JavaBackend(1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new Trainer(wider, be, Collective.single(), train, null, fs, run, c));
      assertTrue(e.getMessage().contains("n_embd=32") && e.getMessage().contains("n_embd=64"), e.getMessage());
    }
  }

  @Test
  void divergenceStopsWithAClearMessage() throws IOException {
    JobSpec spec = spec("optimizer { lr: 9.9 grad_clip: 0 }");
    try (JavaBackend be = new JavaBackend(1)) {
      Trainer t = new Trainer(spec, be, Collective.single(), train, null, fs, new Path(tmp.resolve("e").toString()), null);
      java.util.Arrays.fill(t.model().params(), Float.NaN);
      TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::trainStep);
      assertTrue(e.getMessage().contains("diverged at step 1"), e.getMessage());
    }
  }
}
