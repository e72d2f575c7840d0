package io.ringtrain.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.data.ShardSet;
import io.ringtrain.data.TokenShardWriter;
import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.kernels.opencl.OpenClBackend;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.optim.AdamW;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole training steps on the OpenCL backend against the Java backend: one step's loss, every
 * gradient and the updated parameters (relative L2 error below 1e-4: float rounding in a
 * different summation order gives about 1e-6), and the loss curve of a few Trainer steps (each
 * within 1e-3 of the Java loss), also through the staged gradient all-reduce of a 2-rank
 * collective. One OpenCL backend for the class: the kernel compiles once per JVM.
 */
@Tag("opencl")
class OpenClTrainingTest {
  static final GptConfig TINY = GptConfig.of(2, 2, 16, 8, 37, 64);
  static OpenClBackend cl;
  static JavaBackend jvm;
  @TempDir java.nio.file.Path tmp;

  @BeforeAll
  static void open() {
    cl = OpenClBackend.open("");
    jvm = new JavaBackend(2);
  }

  @AfterAll
  static void close() {
    cl.close();
    jvm.close();
  }

  static double relErr(float[] ref, float[] x) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < ref.length; i++) {
      double d = (double) ref[i] - x[i];
      num += d * d;
      den += (double) ref[i] * ref[i];
    }
    return Math.sqrt(num / Math.max(den, 1e-30));
  }

  /** The trainer's step on one batch (clip 1, lr 1e-2); returns the loss. */
  static float step(GptModel m, AdamW opt, int[] in, int[] tg, int b, int t) {
    return Trainer.singleBatchStep(m, opt, in, tg, b, t, 1.0, 1e-2f, 0);
  }

  @Test
  void oneStepMatchesTheJavaBackend() {
    int b = 3;
    int t = 8;
    GptModel a = new GptModel(TINY, jvm, 11);
    GptModel c = new GptModel(TINY, cl, 11);
    Random r = new Random(5);
    int[] in = new int[b * t];
    int[] tg = new int[b * t];
    for (int i = 0; i < in.length; i++) {
      in[i] = r.nextInt(TINY.vocabSize());
      tg[i] = r.nextInt(TINY.vocabSize());
    }
    float la = a.forward(in, tg, b, t);
    float lc = c.forward(in, tg, b, t);
    assertEquals(la, lc, 1e-5 * Math.abs(la), "loss");
    assertTrue(relErr(a.logits(), c.logits()) < 1e-5, "logits");
    a.backward();
    c.backward();
    cl.hostReads(c.grads());
    double g = relErr(a.grads(), c.grads());
    System.out.printf("one step: loss %.7f vs %.7f, gradient rel err %.2e%n", la, lc, g);
    assertTrue(g < 1e-4, "gradients rel err " + g);
    AdamW oa = AdamW.gpt2(a.layout());
    AdamW oc = AdamW.gpt2(c.layout());
    oa.step(jvm, a.params(), a.grads(), 1e-2f);
    oc.step(cl, c.params(), c.grads(), 1e-2f);
    double p = relErr(a.params(), c.hostParams());
    assertTrue(p < 1e-4, "parameters after AdamW rel err " + p);
    assertTrue(cl.isRunningCL(), "OpenCL really ran");
  }

  @Test
  void aFewStepsFollowTheJavaLossCurve() {
    int b = 2;
    int t = 8;
    GptModel a = new GptModel(TINY, jvm, 12);
    GptModel c = new GptModel(TINY, cl, 12);
    AdamW oa = AdamW.gpt2(a.layout());
    AdamW oc = AdamW.gpt2(c.layout());
    int[] in = new int[b * t];
    int[] tg = new int[b * t];
    for (int s = 0; s < 8; s++) {
      for (int i = 0; i < in.length; i++) {
        in[i] = (s + i * 3) % TINY.vocabSize();
        tg[i] = (s + i * 3 + 1) % TINY.vocabSize();
      }
      float la = step(a, oa, in, tg, b, t);
      float lc = step(c, oc, in, tg, b, t);
      assertEquals(la, lc, 1e-3, "loss at step " + s);
    }
    assertTrue(cl.isRunningCL());
  }

  ShardSet data() throws IOException {
    FileSystem fs = FileSystem.get(tmp.toUri(), HadoopConf.configuration());
    TokenShardWriter w = new TokenShardWriter(fs, new Path(tmp.resolve("train.bin").toString()));
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 20_000; i++) {
      w.add(r.nextInt(10) == 0 ? r.nextInt(50) : (i * 7) % 50);
    }
    w.commit();
    return ShardSet.open(tmp.resolve("train.bin").toString(), HadoopConf.configuration());
  }

  /** Two ranks holding identical gradients: the sum doubles them (exercises the staged copy). */
  static Collective twoIdenticalRanks() {
    return new Collective() {
      @Override
      public int rank() {
        return 0;
      }

      @Override
      public int world() {
        return 2;
      }

      @Override
      public void allReduceSum(long step, int tag, float[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
          data[i] *= 2;
        }
      }
    };
  }

  List<Double> losses(Backend be, Collective collective, ShardSet train) throws IOException {
    JobSpec spec = JobSpecs.resolve(JobSpecs.parse("model { n_layer: 2 n_head: 2 n_embd: 32"
        + " block_size: 16 vocab_size: 50 } data { batch_size: 4 } optimizer { lr: 0.01 }"
        + " schedule { steps: 6 eval_interval: 0 } seed: 3", false, "test"), "test");
    FileSystem fs = FileSystem.get(tmp.toUri(), HadoopConf.configuration());
    Trainer tr = new Trainer(spec, be, collective, train, null, fs,
        new Path(tmp.resolve("run-" + be.onDevice() + collective.world()).toString()), null);
    List<Double> out = new ArrayList<>();
    for (int s = 0; s < 6; s++) {
      out.add(tr.trainStep().loss());
    }
    return out;
  }

  @Test
  void trainerStepsFollowTheJavaBackendAlsoThroughTheRing() throws IOException {
    ShardSet train = data();
    for (Collective coll : new Collective[] {Collective.single(), twoIdenticalRanks()}) {
      List<Double> ref = losses(jvm, coll, train);
      List<Double> got = losses(cl, coll, train);
      System.out.println("world " + coll.world() + ": java " + ref + "\n         opencl " + got);
      for (int s = 0; s < ref.size(); s++) {
        assertEquals(ref.get(s), got.get(s), 1e-3, "loss at step " + s + ", world " + coll.world());
      }
      assertTrue(ref.get(ref.size() - 1) < ref.get(0), "it learns");
    }
    assertTrue(cl.isRunningCL());
  }
}
