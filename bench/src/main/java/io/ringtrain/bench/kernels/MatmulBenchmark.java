package io.ringtrain.bench.kernels;

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
 * The training step's projections on the Java backend: out = inp . W^T + b (forward) and both
 * backward products, dinp = dout . W and dW += dout^T . inp, with the bias gradient.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatmulBenchmark extends KernelState {
  @Param({"qkv", "attproj", "fc", "fcproj", "lmhead"})
  public String layer;

  private int n;
  private int c;
  private int oc;
  private float[] inp;
  private float[] weight;
  private float[] bias;
  private float[] out;
  private float[] dweight;
  private float[] dbias;
  private float[] dinp;

  @Setup
  public void setup() {
    open();
    int[] io = s.projection(layer);
    n = s.rows();
    c = io[0];
    oc = io[1];
    inp = StepShapes.gaussian(n * c, 1, 1);
    weight = StepShapes.gaussian(oc * c, 0.02, 2);
    // The LM head is tied to the token embedding and has no bias.
    bias = layer.equals("lmhead") ? null : StepShapes.gaussian(oc, 0.02, 3);
    out = StepShapes.gaussian(n * oc, 1, 4);
    dweight = new float[oc * c];
    dbias = bias == null ? null : new float[oc];
    dinp = new float[n * c];
  }

  @Benchmark
  public float[] forward() {
    backend.matmulForward(out, 0, inp, 0, weight, 0, bias, 0, n, c, oc);
    return out;
  }

  /** {@code out} stands in for the output's gradient. */
  @Benchmark
  public float[] backward() {
    backend.matmulBackward(dinp, 0, dweight, 0, dbias, 0, out, 0, inp, 0, weight, 0, n, c, oc);
    return dinp;
  }
}
