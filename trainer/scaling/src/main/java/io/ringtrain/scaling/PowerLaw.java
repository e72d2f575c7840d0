package io.ringtrain.scaling;

/** y = coefficient · x^exponent, fitted by least squares on log y against log x. */
public record PowerLaw(double coefficient, double exponent) {
  public double at(double x) {
    return coefficient * Math.pow(x, exponent);
  }

  /** Least squares in log-log space; needs at least two distinct x. */
  public static PowerLaw fit(double[] x, double[] y) {
    int n = x.length;
    double mx = 0;
    double my = 0;
    for (int i = 0; i < n; i++) {
      mx += Math.log(x[i]) / n;
      my += Math.log(y[i]) / n;
    }
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < n; i++) {
      double dx = Math.log(x[i]) - mx;
      sxy += dx * (Math.log(y[i]) - my);
      sxx += dx * dx;
    }
    if (!(sxx > 0)) {
      throw new FitException("a power law needs at least two distinct x values");
    }
    double slope = sxy / sxx;
    return new PowerLaw(Math.exp(my - slope * mx), slope);
  }
}
