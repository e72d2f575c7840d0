package io.ringtrain.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.kernels.Backend;
import io.ringtrain.kernels.JavaBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Aparapi gives OpenCL the addresses of the Java arrays the backend computes on, and the backend
 * leaves its results on the device between calls. This test makes the garbage collector move those
 * arrays while the device holds newer data than the host, then computes on them, reads them back
 * and checks (a) the results against the Java backend and (b) that nothing else on the heap was
 * written: arrays filled with a sentinel after each move, where the moved arrays used to be.
 *
 * <p>Meant for the {@code opencl-test} JVM: the Parallel collector, whose {@code System.gc()}
 * compacts the whole heap (every live young object moves), with {@code -XX:+VerifyBeforeGC
 * -XX:+VerifyAfterGC}, which stop the JVM at the first corrupt object. (G1's full collection moves
 * these arrays too: they are below its humongous size.) The rounds also open and
 * close backends and rebind roles to arrays of new sizes, as the test suites and a resumed run do.
 */
@Tag("slow")
@Tag("opencl")
class OpenClGcStressTest {
  static final float TOL = 1e-4f;
  static final float SENTINEL = 42.5f;

  @Test
  void resultsSurviveTheCollectorMovingTheArrays() {
    stress(false);
  }

  /** The path of a device with memory of its own: results read back after every kernel. */
  @Test
  void readBackResultsSurviveTheCollectorMovingTheArrays() {
    stress(true);
  }

  static void stress(boolean readBack) {
    Random r = new Random(11);
    try (JavaBackend jvm = new JavaBackend(1)) {
      for (int open = 0; open < 3; open++) {
        try (OpenClBackend cl = readBack ? OpenClBackend.openReadingBack("")
            : OpenClBackend.open("")) {
          assertEquals(!readBack, cl.computesInHostMemory(), "PoCL computes in host memory");
          for (int round = 0; round < 4; round++) {
            int n = 20_000 + 7_000 * round + 3_000 * open; // new sizes: rebinding, new buffers
            float[] onHost = gaussian(r, 4 * n);
            float[] onDevice = onHost.clone();
            float[] params = gaussian(r, 3 * n);
            float[] paramsCl = params.clone();
            for (Backend be : new Backend[] {jvm, cl}) {
              float[] w = be == jvm ? onHost : onDevice;
              float[] p = be == jvm ? params : paramsCl;
              be.geluForward(w, n, w, 0, n);
              be.residualForward(w, 2 * n, w, 0, w, n, n);
              be.scale(p, 5, 2 * n, 0.5f);
            }
            List<float[]> sentinels = moveEverything();
            // The device copies are newer than the moved host arrays: compute on them again.
            jvm.residualForward(onHost, 3 * n, onHost, n, onHost, 2 * n, n);
            cl.residualForward(onDevice, 3 * n, onDevice, n, onDevice, 2 * n, n);
            sentinels.addAll(moveEverything());
            cl.hostReads(onDevice);
            cl.hostReads(paramsCl);
            String what = "open " + open + " round " + round;
            assertTrue(cl.isRunningCL(), what + ": OpenCL really ran");
            assertClose(what + " activations", onHost, onDevice);
            assertClose(what + " parameters", params, paramsCl);
            for (float[] s : sentinels) {
              for (float x : s) {
                assertEquals(SENTINEL, x, what + ": an array allocated after a move was written to");
              }
            }
          }
        }
        moveEverything();
      }
    }
  }

  /** A full collection (everything live moves), then sentinel arrays in the space it freed. */
  static List<float[]> moveEverything() {
    System.gc();
    List<float[]> sentinels = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      float[] s = new float[16_384];
      Arrays.fill(s, SENTINEL);
      sentinels.add(s);
    }
    return sentinels;
  }

  static float[] gaussian(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static void assertClose(String what, float[] expected, float[] actual) {
    double scale = 1;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) expected[i] - actual[i]);
      if (!(d <= TOL * scale)) {
        throw new AssertionError(what + ": at " + i + " expected " + expected[i] + ", got "
            + actual[i]);
      }
    }
  }
}
