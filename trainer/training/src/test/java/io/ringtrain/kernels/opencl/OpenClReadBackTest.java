package io.ringtrain.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * Every kernel test of {@link OpenClBackendTest} again on the path of a device with memory of its
 * own, where the arrays a kernel wrote are read back right after it and host changes are uploaded:
 * checks that those reads and uploads bring back the right data. On PoCL the buffers are the
 * arrays themselves, so an array left out of a kernel's read-back would not show here; that needs
 * a device with memory of its own.
 */
@Tag("opencl")
class OpenClReadBackTest extends OpenClBackendTest {
  @BeforeAll
  static void readBack() {
    cl.close();
    cl = OpenClBackend.openReadingBack("");
    assertFalse(cl.computesInHostMemory());
  }
}
