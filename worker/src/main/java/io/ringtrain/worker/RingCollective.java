package io.ringtrain.worker;

import io.ringtrain.ring.RingException;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.train.Collective;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The trainer's {@link Collective} over the Netty ring: each tag is a ring bucket. Gradients go in
 * the ring's wire dtype, everything else in exact fp32.
 */
final class RingCollective implements Collective {
  private final RingPeer peer;
  private final int rank;
  private final int world;
  private final WireDtype gradients;
  private final List<CompletableFuture<Void>> pending = new ArrayList<>();

  /** The ring of {@code rank} among {@code world}; it may still be connecting. */
  RingCollective(RingPeer peer, int rank, int world, WireDtype gradients) {
    this.peer = peer;
    this.rank = rank;
    this.world = world;
    this.gradients = gradients;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int world() {
    return world;
  }

  @Override
  public void allReduceSum(long step, int tag, float[] data, int offset, int length) {
    pending.add(peer.allReduce(step, tag, data, offset, length, WireDtype.FP32));
  }

  @Override
  public void allReduceGradients(long step, int tag, float[] data, int offset, int length) {
    pending.add(peer.allReduce(step, tag, data, offset, length, gradients));
  }

  @Override
  public void await(long step) throws IOException {
    try {
      for (CompletableFuture<Void> f : pending) f.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() instanceof RingException r ? r : e;
      throw new IOException("all-reduce of step " + step + " failed: " + cause.getMessage(), cause);
    } finally {
      pending.clear();
    }
  }
}
