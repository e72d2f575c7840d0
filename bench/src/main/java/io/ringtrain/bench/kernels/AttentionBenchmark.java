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

/** Causal multi-head attention of one layer of the step, forward and backward. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AttentionBenchmark extends KernelState {
  private float[] qkv;
  private float[] att;
  private float[] out;
  private float[] dout;
  private float[] dqkv;

  @Setup
  public void setup() {
    open();
    int btc = s.rows() * s.C();
    qkv = StepShapes.gaussian(3 * btc, 1, 1);
    att = new float[s.B() * s.NH() * s.T() * s.T()];
    out = new float[btc];
    dout = StepShapes.gaussian(btc, 1, 2);
    dqkv = new float[3 * btc];
    forward();
  }

  @Benchmark
  public float[] forward() {
    backend.attentionForward(out, 0, att, 0, qkv, 0, s.B(), s.T(), s.C(), s.NH());
    return out;
  }

  @Benchmark
  public float[] backward() {
    backend.attentionBackward(dqkv, 0, dout, 0, qkv, 0, att, 0, s.B(), s.T(), s.C(), s.NH());
    return dqkv;
  }
}
