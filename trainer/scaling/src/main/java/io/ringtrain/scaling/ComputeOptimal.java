package io.ringtrain.scaling;

/**
 * The compute-optimal trade-off of a fitted law: minimising L(N, D) subject to 6ND = C gives
 * N_opt = G (C/6)^(beta/(alpha+beta)) and D_opt = G^-1 (C/6)^(alpha/(alpha+beta)) with
 * G = (alpha A / (beta B))^(1/(alpha+beta)) (Hoffmann et al. 2022, appendix D.2).
 */
public final class ComputeOptimal {
  /** A budget split between model size and data, with the loss the law predicts for it. */
  public record Allocation(double flops, double params, double tokens, double loss) {
    public double tokensPerParam() {
      return tokens / params;
    }
  }

  private static final double SECONDS_PER_HOUR = 3600;

  private final ScalingLaw law;
  private final double g;

  public ComputeOptimal(ScalingLaw law) {
    if (!(law.alpha() > 0 && law.beta() > 0 && law.A() > 0 && law.B() > 0)) {
      throw new FitException(
          "no compute-optimal trade-off: the law needs A, B, alpha, beta > 0, got " + law);
    }
    this.law = law;
    double sum = law.alpha() + law.beta();
    this.g = Math.pow(law.alpha() * law.A() / (law.beta() * law.B()), 1 / sum);
  }

  /** The exponent a of N_opt ∝ C^a: beta / (alpha + beta). */
  public double paramsExponent() {
    return law.beta() / (law.alpha() + law.beta());
  }

  /** The exponent b of D_opt ∝ C^b: alpha / (alpha + beta). */
  public double tokensExponent() {
    return law.alpha() / (law.alpha() + law.beta());
  }

  public Allocation forFlops(double flops) {
    if (!(flops > 0) || Double.isInfinite(flops)) {
      throw new IllegalArgumentException("budget must be a positive number of FLOPs, got " + flops);
    }
    double perParamToken = flops / ScalingPoint.FLOPS_PER_PARAM_TOKEN;
    double params = g * Math.pow(perParamToken, paramsExponent());
    double tokens = Math.pow(perParamToken, tokensExponent()) / g;
    return new Allocation(flops, params, tokens, law.loss(params, tokens));
  }

  /** A budget of {@code hours} on a machine that sustains {@code flopsPerSecond} in training. */
  public Allocation forHours(double hours, double flopsPerSecond) {
    if (!(hours > 0) || !(flopsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "hours and FLOP/s must be positive, got " + hours + " h at " + flopsPerSecond
              + " FLOP/s");
    }
    return forFlops(hours * SECONDS_PER_HOUR * flopsPerSecond);
  }

  /** The loss the law predicts for N parameters trained on D tokens. */
  public double loss(double params, double tokens) {
    return law.loss(params, tokens);
  }

  public ScalingLaw law() {
    return law;
  }
}
