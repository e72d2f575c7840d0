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
