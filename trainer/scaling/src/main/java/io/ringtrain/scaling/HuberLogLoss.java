package io.ringtrain.scaling;

import java.util.List;

/**
 * The approach-3 objective: sum over points of w_i · Huber_delta(log L̂_i − log L_i) with
 * log L̂ = LSE(a − alpha·log N, b − beta·log D, e), over x = (a, b, e, alpha, beta).
 *
 * <p>The sum is divided by delta. That does not move the minimum, but keeps the value near
 * sum |r| and the gradient of order one, so that the optimiser's tolerances mean the same for
 * every delta.
 */
final class HuberLogLoss implements Lbfgs.Objective {
  private final double[] logN;
  private final double[] logD;
  private final double[] logL;
  private final double[] weight;
  private final double delta;

  /** Point i counts {@code weight[i]} times (bootstrap multiplicities; 0 leaves it out). */
  HuberLogLoss(List<ScalingPoint> points, double[] weight, double delta) {
    int n = points.size();
    logN = new double[n];
    logD = new double[n];
    logL = new double[n];
    for (int i = 0; i < n; i++) {
      ScalingPoint p = points.get(i);
      logN[i] = Math.log(p.params());
      logD[i] = Math.log(p.tokens());
      logL[i] = Math.log(p.loss());
    }
    this.weight = weight.clone();
    this.delta = delta;
  }

  @Override
  public double evaluate(double[] x, double[] gradient) {
    double a = x[0];
    double b = x[1];
    double e = x[2];
    double alpha = x[3];
    double beta = x[4];
    double ga = 0;
    double gb = 0;
    double ge = 0;
    double galpha = 0;
    double gbeta = 0;
    double sum = 0;
    for (int i = 0; i < logN.length; i++) {
      double w = weight[i];
      if (w == 0) {
        continue;
      }
      double t1 = a - alpha * logN[i];
      double t2 = b - beta * logD[i];
      double max = Math.max(e, Math.max(t1, t2));
      double x1 = Math.exp(t1 - max);
      double x2 = Math.exp(t2 - max);
      double x3 = Math.exp(e - max);
      double total = x1 + x2 + x3;
      double r = max + Math.log(total) - logL[i];
      double dr;
      if (Math.abs(r) <= delta) {
        sum += w * 0.5 * r * r;
        dr = r;
      } else {
        sum += w * delta * (Math.abs(r) - 0.5 * delta);
        dr = Math.copySign(delta, r);
      }
      // d(LSE)/d(term k) is the softmax weight x_k / total.
      double scale = w * dr / total;
      ga += scale * x1;
      galpha -= scale * x1 * logN[i];
      gb += scale * x2;
      gbeta -= scale * x2 * logD[i];
      ge += scale * x3;
    }
    gradient[0] = ga / delta;
    gradient[1] = gb / delta;
    gradient[2] = ge / delta;
    gradient[3] = galpha / delta;
    gradient[4] = gbeta / delta;
    return sum / delta;
  }
}
