package io.ringtrain.bench;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.opencl.OpenClBackend;
import io.ringtrain.metrics.Stats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * GFLOP/s of the matmul kernels (forward: out = inp . W^T + bias; backward: dinp and dW, plus
 * dbias) of one backend on the training shapes of the S and M configs and two square-ish
 * references: warm-up calls, then the median of the timed ones. The OpenCL forward includes
 * packing W transposed; the backward packs W and inp.
 */
public final class MatmulBench {
  /** out (n x oc) = inp (n x c) . W (oc x c)^T. */
  public record Shape(String name, int n, int c, int oc) {
    double flops() {
      return 2.0 * n * c * oc;
    }
  }

  public record Row(Shape shape, double forwardMs, double backwardMs) {
    public double forwardGflops() {
      return shape.flops() / forwardMs / 1e6;
    }

    /** dinp and dW: twice the forward's FLOPs. */
    public double backwardGflops() {
      return 2 * shape.flops() / backwardMs / 1e6;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%-22s %5d x %5d x %5d   fwd %8.2f ms %7.2f GFLOP/s"
          + "   bwd %8.2f ms %7.2f GFLOP/s", shape.name(), shape.n(), shape.c(), shape.oc(),
          forwardMs, forwardGflops(), backwardMs, backwardGflops());
    }
  }

  public static final List<Shape> SHAPES = List.of(
      new Shape("S qkv (B16 T128)", 2048, 128, 384),
      new Shape("S fc", 2048, 128, 512),
      new Shape("M qkv (B8 T256)", 2048, 384, 1152),
      new Shape("M fc", 2048, 384, 1536),
      new Shape("M fcproj", 2048, 1536, 384),
      new Shape("M lm head", 2048, 384, 4096),
      new Shape("square 1024", 1024, 1024, 1024));

  private MatmulBench() {}

  public static List<Row> run(Backend be, List<Shape> shapes, int reps) {
    List<Row> rows = new ArrayList<>();
    for (Shape s : shapes) {
      rows.add(run(be, s, reps));
    }
    return rows;
  }

  public static Row run(Backend be, Shape s, int reps) {
    Random r = new Random(1);
    int n = s.n();
    int c = s.c();
    int oc = s.oc();
    // work: inp (n x c), out / dout (n x oc), dinp (n x c); params: W, bias; grads: dW, dbias
    float[] work = random(r, 2 * n * c + n * oc);
    float[] params = random(r, oc * c + oc);
    float[] grads = new float[oc * c + oc];
    be.hostWrote(work);
    be.hostWrote(params);
    double[] fwd = new double[reps];
    double[] bwd = new double[reps];
    for (int i = -2; i < reps; i++) {
      long t0 = System.nanoTime();
      be.matmulForward(work, n * c, work, 0, params, 0, params, oc * c, n, c, oc);
      long t1 = System.nanoTime();
      be.matmulBackward(work, n * c + n * oc, grads, 0, grads, oc * c, work, n * c, work, 0,
          params, 0, n, c, oc);
      long t2 = System.nanoTime();
      if (i >= 0) {
        fwd[i] = (t1 - t0) / 1e6;
        bwd[i] = (t2 - t1) / 1e6;
      }
    }
    be.hostReads(grads);
    return new Row(s, Stats.median(fwd), Stats.median(bwd));
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** A header line naming the backend (and the OpenCL compile time). */
  public static String header(Backend be) {
    String compile = be instanceof OpenClBackend o
        ? String.format(Locale.ROOT, "; kernels compiled in %.0f ms", o.compileMillis()) : "";
    return "matmul on " + be.describe() + compile;
  }
}
