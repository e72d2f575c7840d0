package io.ringtrain.scaling;

/** The Chinchilla parametric loss L(N, D) = E + A / N^alpha + B / D^beta. */
public record ScalingLaw(double E, double A, double B, double alpha, double beta) {
  public double loss(double params, double tokens) {
    return E + A / Math.pow(params, alpha) + B / Math.pow(tokens, beta);
  }
}
