package io.ringtrain.sweep;

import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.ModelSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The rule that turns a target parameter count into a GPT shape, so that a sweep's models differ
 * in size only along one axis: width = width_step·k (k = 1, 2, …), heads = width / head_size,
 * layers = width / width_per_layer clamped to [min_layers, max_layers]; context and vocabulary
 * are the base spec's. Of these shapes, the one whose total parameters ({@link TrainingPlan#params})
 * are nearest the target in ratio (|log(N / target)|) is chosen, ties to the smaller.
 */
public record ModelFamily(int widthStep, int headSize, int widthPerLayer, int minLayers, int maxLayers) {
  public static final ModelFamily DEFAULT = new ModelFamily(32, 16, 32, 1, 8);

  /** Every problem with the rule, named by its sweep.json key; empty when it can be used. */
  List<String> problems() {
    List<String> p = new ArrayList<>();
    if (widthStep < 1) p.add("family.width_step=" + widthStep + " must be > 0");
    if (headSize < 1) p.add("family.head_size=" + headSize + " must be > 0");
    else if (widthStep % headSize != 0) {
      p.add("family.head_size=" + headSize + " must divide family.width_step=" + widthStep);
    }
    if (widthPerLayer < 1) p.add("family.width_per_layer=" + widthPerLayer + " must be > 0");
    if (minLayers < 1) p.add("family.min_layers=" + minLayers + " must be > 0");
    if (maxLayers < minLayers) p.add("family.max_layers=" + maxLayers + " must be >= family.min_layers=" + minLayers);
    return p;
  }

  /** The k-th shape of the family, with the base's context and vocabulary. */
  public ModelSpec shape(int k, ModelSpec base) {
    int width = widthStep * k;
    int layers = Math.max(minLayers, Math.min(maxLayers, width / widthPerLayer));
    return base.toBuilder().setNEmbd(width).setNHead(width / headSize).setNLayer(layers).build();
  }

  /**
   * The shape nearest {@code target} parameters. Parameters grow with k, so the search stops once
   * they pass twice the target; a target far below the smallest shape is refused, not rounded up.
   */
  public ModelSpec nearest(long target, ModelSpec base) {
    ModelSpec best = null;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int k = 1; k <= 4096; k++) {
      ModelSpec m = shape(k, base);
      long n = TrainingPlan.params(m);
      double distance = Math.abs(Math.log(n / (double) target));
      if (distance < bestDistance) {
        best = m;
        bestDistance = distance;
      }
      if (n > 2 * target) break;
    }
    long n = TrainingPlan.params(best);
    if (n > 2 * target) {
      throw new UserFacingFailure(ExitCodes.BAD_INPUT, "params target " + target + " is below half the family's"
          + " smallest model (" + n + " parameters at width " + best.getNEmbd() + " with vocabulary "
          + base.getVocabSize() + " and context " + base.getBlockSize() + "): raise it or lower family.width_step");
    }
    return best;
  }
}
