package io.ringtrain.bench.kernels;

import io.ringtrain.bench.TrainStepBench;
import io.ringtrain.model.ParameterLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The memory-bound kernels of one step at its real sizes: LayerNorm (N x C), GELU (N x 4C), the
 * residual add (N x C), softmax + cross-entropy over the padded vocabulary (N x Vp) and AdamW
 * over all parameters of the model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PointwiseBenchmark extends KernelState {
  private float[] x;
  private float[] y;
  private float[] dx;
  private float[] w;
  private float[] b;
  private float[] dw;
  private float[] db;
  private float[] mean;
  private float[] rstd;
  private float[] hidden;
  private float[] hiddenOut;
  private float[] logits;
  private float[] losses;
  private float[] stats;
  private int[] targets;
  private float[] params;
  private float[] grads;
  private float[] m;
  private float[] v;

  @Setup
  public void setup() {
    open();
    int n = s.rows();
    int c = s.C();
    x = StepShapes.gaussian(n * c, 1, 1);
    y = new float[n * c];
    dx = new float[n * c];
    w = StepShapes.gaussian(c, 1, 2);
    b = StepShapes.gaussian(c, 1, 3);
    dw = new float[c];
    db = new float[c];
    mean = new float[n];
    rstd = new float[n];
    hidden = StepShapes.gaussian(4 * n * c, 1, 4);
    hiddenOut = new float[4 * n * c];
    logits = StepShapes.gaussian(n * s.Vp(), 2, 5);
    losses = new float[n];
    stats = new float[2 * n];
    targets = StepShapes.tokens(n, s.V(), 6);
    int numParams = new ParameterLayout(TrainStepBench.shape(model).config()).numParams();
    params = StepShapes.gaussian(numParams, 0.02, 7);
    grads = StepShapes.gaussian(numParams, 0.01, 8);
    m = new float[numParams];
    v = new float[numParams];
    layernormForward();
  }

  @Benchmark
  public float[] layernormForward() {
    backend.layernormForward(y, 0, mean, 0, rstd, 0, x, 0, w, 0, b, 0, s.rows(), s.C());
    return y;
  }

  /** {@code y} stands in for the output's gradient. */
  @Benchmark
  public float[] layernormBackward() {
    backend.layernormBackward(dx, 0, dw, 0, db, 0, y, 0, x, 0, w, 0, mean, 0, rstd, 0, s.rows(),
        s.C());
    return dx;
  }

  @Benchmark
  public float[] geluForward() {
    backend.geluForward(hiddenOut, 0, hidden, 0, hidden.length);
    return hiddenOut;
  }

  @Benchmark
  public float[] geluBackward() {
    backend.geluBackward(hiddenOut, 0, hidden, 0, hidden, 0, hidden.length);
    return hiddenOut;
  }

  @Benchmark
  public float[] residualForward() {
    backend.residualForward(y, 0, x, 0, dx, 0, x.length);
    return y;
  }

  @Benchmark
  public float[] crossEntropyForward() {
    backend.crossEntropyForward(losses, 0, stats, 0, logits, 0, targets, s.rows(), s.V(), s.Vp());
    return losses;
  }

  /**
   * In place over the logits, as the step does; the values drift from one call to the next, the
   * work does not.
   */
  @Benchmark
  public float[] crossEntropyBackward() {
    backend.crossEntropyBackward(logits, 0, logits, 0, stats, 0, targets, 1f / s.rows(), s.rows(),
        s.V(), s.Vp());
    return logits;
  }

  @Benchmark
  public float[] adamw() {
    backend.adamwUpdate(params, grads, m, v, 0, params.length, 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f,
        0.5f, 0.5f);
    return params;
  }
}
