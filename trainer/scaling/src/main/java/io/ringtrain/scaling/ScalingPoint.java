package io.ringtrain.scaling;

/**
 * One training run: {@code params} parameters trained on {@code tokens} tokens at a cost of
 * {@code flops} floating-point operations, ending at {@code loss}.
 */
public record ScalingPoint(double params, double tokens, double flops, double loss) {
  /** The usual training cost per parameter per token (forward plus backward). */
  public static final double FLOPS_PER_PARAM_TOKEN = 6;

  public ScalingPoint {
    requirePositive("params", params);
    requirePositive("tokens", tokens);
    requirePositive("flops", flops);
    requirePositive("loss", loss);
  }

  /** A run whose cost is the usual C = 6ND. */
  public static ScalingPoint of(double params, double tokens, double loss) {
    return new ScalingPoint(params, tokens, FLOPS_PER_PARAM_TOKEN * params * tokens, loss);
  }

  /** A run known by its cost only: D = C / 6N. */
  public static ScalingPoint fromFlops(double params, double flops, double loss) {
    return new ScalingPoint(params, flops / (FLOPS_PER_PARAM_TOKEN * params), flops, loss);
  }

  private static void requirePositive(String name, double value) {
    // Every fit takes logarithms: zero, negative or non-finite values cannot be fitted.
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be a positive finite number, got " + value);
    }
  }
}
