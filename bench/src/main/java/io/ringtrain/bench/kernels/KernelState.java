package io.ringtrain.bench.kernels;

import io.ringtrain.kernels.JavaBackend;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** What every kernel benchmark is parameterised by: the model's step shapes and the threads. */
@State(Scope.Benchmark)
public abstract class KernelState {
  @Param({"S", "M", "L"})
  public String model;

  @Param({"2"})
  public int threads;

  protected JavaBackend backend;
  protected StepShapes s;

  /** Opens the backend and reads the shapes; subclasses call it first in their setup. */
  protected void open() {
    s = StepShapes.of(model);
    backend = new JavaBackend(threads);
  }

  @TearDown
  public void close() {
    backend.close();
  }
}
