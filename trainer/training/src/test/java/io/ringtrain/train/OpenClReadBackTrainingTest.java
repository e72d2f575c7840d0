package io.ringtrain.train;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ringtrain.kernels.opencl.OpenClBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link OpenClTrainingTest} again on the path of a device with memory of its own (each kernel's
 * outputs read back after it, host changes uploaded), through the Trainer and the staged 2-rank
 * all-reduce. On PoCL the buffers are the arrays themselves, so this shows that path's reads and
 * uploads do no harm; a missing one would show only on a device with memory of its own.
 */
@Tag("opencl")
class OpenClReadBackTrainingTest extends OpenClTrainingTest {
  @BeforeAll
  static void readBack() {
    cl.close();
    cl = OpenClBackend.openReadingBack("");
    assertFalse(cl.computesInHostMemory());
  }
}
