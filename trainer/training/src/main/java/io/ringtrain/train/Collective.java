package io.ringtrain.train;

import java.io.IOException;

/**
 * How the ranks of a data-parallel job combine arrays: the trainer's only view of the other
 * workers. It knows nothing of sockets; the worker module implements it with the Netty ring.
 */
public interface Collective {
  int rank();

  int world();

  /**
   * Sums {@code data[offset, offset + length)} over all ranks, in place, with bit-identical results
   * on every rank. Operations of one step are told apart by {@code tag}; several may be in flight.
   */
  void allReduceSum(long step, int tag, float[] data, int offset, int length) throws IOException;

  /**
   * As {@link #allReduceSum}, for gradients: the sum may travel in a lower precision than fp32
   * (cluster.wire_dtype), still bit-identical on every rank. Values that are reported as they
   * are (a validation loss) use {@link #allReduceSum}, which stays exact.
   */
  default void allReduceGradients(long step, int tag, float[] data, int offset, int length) throws IOException {
    allReduceSum(step, tag, data, offset, length);
  }

  /** Waits for every operation started for {@code step}. */
  default void await(long step) throws IOException {}

  /** One process: summing over one rank changes nothing. */
  static Collective single() {
    return new Collective() {
      @Override
      public int rank() {
        return 0;
      }

      @Override
      public int world() {
        return 1;
      }

      @Override
      public void allReduceSum(long step, int tag, float[] data, int offset, int length) {}
    };
  }
}
