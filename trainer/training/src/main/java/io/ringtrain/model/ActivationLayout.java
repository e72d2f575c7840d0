package io.ringtrain.model;

/**
 * Where every activation and activation gradient of one forward and backward lives in the
 * model's single activation arena, for batches up to B×T: llm.c's {@code ActivationTensors}, as
 * {@link ParameterLayout} is for the parameters. Offsets are in floats; per-layer tensors have
 * one offset per layer (llm.c's names). The projections' outputs are only added to the residual
 * stream, so one scratch ({@code proj}) serves them all, and the gradients of activations are
 * shared across layers.
 *
 * <p>In all, per layer 16·BTC + 4·BT + B·H·T², plus 17·BTC + 2·BT + BT·Vp for the embeddings, the
 * final LayerNorm, the logits and the backward's scratch.
 */
public final class ActivationLayout {
  /** The most floats the arena may hold: one Java array. */
  public static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

  public final int batch;
  public final int seqLen;
  public final int encoded;
  public final int[] ln1;
  public final int[] ln1Mean;
  public final int[] ln1Rstd;
  public final int[] qkv;
  public final int[] atty;
  public final int[] att;
  public final int[] residual2;
  public final int[] ln2;
  public final int[] ln2Mean;
  public final int[] ln2Rstd;
  public final int[] fch;
  public final int[] fchGelu;
  public final int[] residual3;
  public final int lnf;
  public final int lnfMean;
  public final int lnfRstd;
  public final int logits;
  public final int proj;
  public final int dresidual;
  public final int dln;
  public final int datty;
  public final int dqkv;
  public final int dfch;
  public final int dfchGelu;
  private final long floats;

  /** The layout for batches of up to {@code B} sequences of up to {@code T} tokens. */
  public ActivationLayout(GptConfig config, int B, int T) {
    this.batch = B;
    this.seqLen = T;
    int nl = config.nLayer();
    long bt = (long) B * T;
    long btc = bt * config.nEmbd();
    long attSize = (long) B * config.nHead() * T * T;
    Arena a = new Arena();
    encoded = a.take(btc);
    ln1 = a.perLayer(nl, btc);
    ln1Mean = a.perLayer(nl, bt);
    ln1Rstd = a.perLayer(nl, bt);
    qkv = a.perLayer(nl, 3 * btc);
    atty = a.perLayer(nl, btc);
    att = a.perLayer(nl, attSize);
    residual2 = a.perLayer(nl, btc);
    ln2 = a.perLayer(nl, btc);
    ln2Mean = a.perLayer(nl, bt);
    ln2Rstd = a.perLayer(nl, bt);
    fch = a.perLayer(nl, 4 * btc);
    fchGelu = a.perLayer(nl, 4 * btc);
    residual3 = a.perLayer(nl, btc);
    lnf = a.take(btc);
    lnfMean = a.take(bt);
    lnfRstd = a.take(bt);
    logits = a.take(bt * config.paddedVocabSize());
    proj = a.take(btc);
    dresidual = a.take(btc);
    dln = a.take(btc);
    datty = a.take(btc);
    dqkv = a.take(3 * btc);
    dfch = a.take(4 * btc);
    dfchGelu = a.take(4 * btc);
    floats = a.size;
  }

  /** Floats of the whole arena: for estimating memory before allocating, and for allocating. */
  public long floats() {
    return floats;
  }

  /** Hands out consecutive offsets; sizes in long so that an overflow is caught, not wrapped. */
  private static final class Arena {
    long size;

    int take(long n) {
      long at = size;
      size += n;
      return (int) Math.min(at, Integer.MAX_VALUE);
    }

    int[] perLayer(int nl, long n) {
      int[] offs = new int[nl];
      for (int l = 0; l < nl; l++) {
        offs[l] = take(n);
      }
      return offs;
    }
  }
}
