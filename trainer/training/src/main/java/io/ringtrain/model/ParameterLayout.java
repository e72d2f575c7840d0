package io.ringtrain.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter tensor lives in the one flat float[] that holds all parameters (and, with
 * the same offsets, the gradients and the AdamW moments).
 *
 * <p>Order: wte (Vp x C), wpe (T x C), then for each layer ln1w, ln1b, qkvw (3C x C), qkvb,
 * attprojw (C x C), attprojb, ln2w, ln2b, fcw (4C x C), fcb, fcprojw (C x 4C), fcprojb, then lnfw,
 * lnfb. These are llm.c's tensors and shapes (weights stored (out, in), row-major), but grouped
 * per layer rather than per tensor kind so that each layer is one contiguous range: gradients can
 * then be bucketed in reverse layer order for the all-reduce.
 *
 * <p>Segments: 0 is the embeddings (wte, wpe), 1..L the layers, L+1 the final LayerNorm. Note
 * that wte is tied to the LM head, so its gradient is complete only at the end of backward.
 */
public final class ParameterLayout {

  /** One named tensor: {@code shape} is row-major; {@code layer} is -1 outside the blocks. */
  public record Tensor(String name, int offset, int[] shape, boolean matrix, int layer) {
    public Tensor {
      shape = shape.clone();
    }

    @Override
    public int[] shape() {
      return shape.clone();
    }

    public int size() {
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      return n;
    }

    public int end() {
      return offset + size();
    }
  }

  /** Offsets of one transformer block's tensors. */
  public record Layer(int ln1w, int ln1b, int qkvw, int qkvb, int attprojw, int attprojb,
      int ln2w, int ln2b, int fcw, int fcb, int fcprojw, int fcprojb, int start, int end) {}

  /** The most parameters one flat float[] holds (a little under Integer.MAX_VALUE, as the JVM allows). */
  public static final long MAX_FLOATS = Integer.MAX_VALUE - 16;

  private final GptConfig config;
  private final List<Tensor> tensors;
  private final Map<String, Tensor> byName;
  private final Layer[] layers;
  private final int wte;
  private final int wpe;
  private final int lnfw;
  private final int lnfb;
  private final int numParams;

  public ParameterLayout(GptConfig config) {
    this.config = config;
    int c = config.nEmbd();
    List<Tensor> list = new ArrayList<>();
    long[] cursor = {0};
    wte = add(list, cursor, "wte", -1, true, config.paddedVocabSize(), c);
    wpe = add(list, cursor, "wpe", -1, true, config.blockSize(), c);
    layers = new Layer[config.nLayer()];
    for (int l = 0; l < config.nLayer(); l++) {
      String p = "h" + l + ".";
      int start = (int) cursor[0];
      int ln1w = add(list, cursor, p + "ln1w", l, false, c);
      int ln1b = add(list, cursor, p + "ln1b", l, false, c);
      int qkvw = add(list, cursor, p + "qkvw", l, true, 3 * c, c);
      int qkvb = add(list, cursor, p + "qkvb", l, false, 3 * c);
      int attprojw = add(list, cursor, p + "attprojw", l, true, c, c);
      int attprojb = add(list, cursor, p + "attprojb", l, false, c);
      int ln2w = add(list, cursor, p + "ln2w", l, false, c);
      int ln2b = add(list, cursor, p + "ln2b", l, false, c);
      int fcw = add(list, cursor, p + "fcw", l, true, 4 * c, c);
      int fcb = add(list, cursor, p + "fcb", l, false, 4 * c);
      int fcprojw = add(list, cursor, p + "fcprojw", l, true, c, 4 * c);
      int fcprojb = add(list, cursor, p + "fcprojb", l, false, c);
      layers[l] = new Layer(ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb,
          fcprojw, fcprojb, start, (int) cursor[0]);
    }
    lnfw = add(list, cursor, "lnfw", -1, false, c);
    lnfb = add(list, cursor, "lnfb", -1, false, c);
    numParams = (int) cursor[0];
    tensors = Collections.unmodifiableList(list);
    Map<String, Tensor> map = new LinkedHashMap<>();
    for (Tensor t : list) {
      map.put(t.name(), t);
    }
    byName = Collections.unmodifiableMap(map);
  }

  private static int add(List<Tensor> list, long[] cursor, String name, int layer, boolean matrix,
      int... shape) {
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    if (cursor[0] + size > MAX_FLOATS) {
      throw new IllegalArgumentException("model too large for one float[]: at tensor " + name);
    }
    int offset = (int) cursor[0];
    list.add(new Tensor(name, offset, shape, matrix, layer));
    cursor[0] += size;
    return offset;
  }

  public GptConfig config() {
    return config;
  }

  /** All tensors in storage order. */
  public List<Tensor> tensors() {
    return tensors;
  }

  public Tensor tensor(String name) {
    Tensor t = byName.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named " + name);
    }
    return t;
  }

  /** Length of the flat arrays, padding rows of wte included. */
  public int numParams() {
    return numParams;
  }

  /**
   * Parameter count of the real model, {@link GptConfig#params}: these floats but the padding rows
   * of wte (ParameterLayoutTest pins the two). The LM head is tied to wte, so it is counted once.
   */
  public long paramCount() {
    return config.params();
  }

  /** {@link #paramCount()} without the token and position embeddings (Kaplan et al.'s N). */
  public long nonEmbeddingParamCount() {
    return GptConfig.nonEmbeddingParams(config.nLayer(), config.nEmbd());
  }

  public int wte() {
    return wte;
  }

  public int wpe() {
    return wpe;
  }

  public Layer layer(int l) {
    return layers[l];
  }

  public int lnfw() {
    return lnfw;
  }

  public int lnfb() {
    return lnfb;
  }

  /** Embeddings, each layer, final LayerNorm: nLayer + 2 contiguous ranges covering everything. */
  public int numSegments() {
    return config.nLayer() + 2;
  }

  public int segmentStart(int segment) {
    if (segment == 0) {
      return 0;
    }
    return segment <= config.nLayer() ? layers[segment - 1].start() : lnfw;
  }

  public int segmentEnd(int segment) {
    return segment + 1 < numSegments() ? segmentStart(segment + 1) : numParams;
  }
}
