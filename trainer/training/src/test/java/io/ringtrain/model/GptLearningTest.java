package io.ringtrain.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.optim.AdamW;
import io.ringtrain.optim.LrSchedule;
import io.ringtrain.train.Trainer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The whole training step (forward, backward, clipping, AdamW) learns a repetitive sequence. */
class GptLearningTest {

  @Test
  void lossDropsOnARepeatingSequence() {
    GptConfig cfg = GptConfig.of(2, 2, 32, 16, 20, 32);
    int b = 4;
    int t = 16;
    // The sequence 0..9 repeated: every next token is determined by the current one.
    int period = 10;
    Random r = new Random(1);
    int[] in = new int[b * t];
    int[] tg = new int[b * t];
    try (JavaBackend be = new JavaBackend(2)) {
      GptModel model = new GptModel(cfg, be, 1);
      AdamW opt = new AdamW(model.layout(), 0.9f, 0.95f, 1e-8f, 0.0f);
      LrSchedule lr = new LrSchedule(1e-2, 10, 100, 0.1);
      float first = 0;
      float last = 0;
      for (int step = 0; step < 100; step++) {
        for (int i = 0; i < b; i++) {
          int start = r.nextInt(period);
          for (int j = 0; j < t; j++) {
            in[i * t + j] = (start + j) % period;
            tg[i * t + j] = (start + j + 1) % period;
          }
        }
        float loss = Trainer.singleBatchStep(model, opt, in, tg, b, t, 1.0, (float) lr.lr(step), step);
        if (step == 0) {
          first = loss;
        }
        last = loss;
      }
      System.out.printf("learning test: loss %.4f -> %.4f%n", first, last);
      assertTrue(first > 2.5, "initial loss near ln(20) = 3.0: " + first);
      assertTrue(last < 0.1, "final loss " + last);
    }
  }
}
