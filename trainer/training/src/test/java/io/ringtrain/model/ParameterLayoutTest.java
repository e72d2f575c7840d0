package io.ringtrain.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParameterLayoutTest {

  @Test
  void tensorsFollowLlmcOrderPerLayer() {
    GptConfig cfg = GptConfig.of(2, 2, 16, 8, 37, 64);
    assertEquals(64, cfg.paddedVocabSize());
    ParameterLayout lay = new ParameterLayout(cfg);
    List<ParameterLayout.Tensor> ts = lay.tensors();
    assertEquals(2 + 2 * 12 + 2, ts.size());
    assertEquals("wte", ts.get(0).name());
    assertEquals(0, lay.wte());
    assertEquals(64 * 16, lay.wpe());
    int layer0 = 64 * 16 + 8 * 16;
    assertEquals(layer0, lay.layer(0).ln1w());
    assertEquals(layer0 + 32, lay.layer(0).qkvw());
    assertEquals(layer0 + 32 + 48 * 16, lay.layer(0).qkvb());
    // one layer: 4 LN vectors, qkv, attproj, fc, fcproj and their biases
    int perLayer = 4 * 16 + 48 * 16 + 48 + 16 * 16 + 16 + 64 * 16 + 64 + 16 * 64 + 16;
    assertEquals(layer0 + perLayer, lay.layer(1).ln1w());
    assertEquals(layer0 + 2 * perLayer, lay.lnfw());
    assertEquals(layer0 + 2 * perLayer + 32, lay.numParams());
    assertEquals(lay.numParams() - (64 - 37) * 16, lay.paramCount());
    assertEquals(lay.paramCount() - 37 * 16 - 8 * 16, lay.nonEmbeddingParamCount());
    int pos = 0;
    for (ParameterLayout.Tensor t : ts) {
      assertEquals(pos, t.offset(), t.name());
      assertEquals(t.shape().length == 2, t.matrix(), t.name());
      pos = t.end();
    }
    assertTrue(lay.tensor("h1.fcprojw").matrix());
    assertFalse(lay.tensor("h1.fcprojb").matrix());
  }

  @Test
  void segmentsAreContiguousLayers() {
    ParameterLayout lay = new ParameterLayout(GptConfig.of(3, 2, 16, 8, 37, 64));
    assertEquals(5, lay.numSegments());
    assertEquals(0, lay.segmentStart(0));
    for (int s = 0; s < lay.numSegments() - 1; s++) {
      assertEquals(lay.segmentEnd(s), lay.segmentStart(s + 1));
    }
    assertEquals(lay.layer(1).start(), lay.segmentStart(2));
    assertEquals(lay.layer(1).end(), lay.segmentEnd(2));
    assertEquals(lay.numParams(), lay.segmentEnd(4));
  }

  @Test
  void gpt2SmallHasItsKnownParameterCount() {
    GptConfig cfg = GptConfig.of(12, 12, 768, 1024, 50257);
    assertEquals(50304, cfg.paddedVocabSize());
    ParameterLayout lay = new ParameterLayout(cfg);
    assertEquals(124_439_808L, lay.paramCount());
    assertEquals(124_439_808L - 50257 * 768 - 1024 * 768, lay.nonEmbeddingParamCount());
  }

  @Test
  void configValidation() {
    assertThrows(IllegalArgumentException.class, () -> GptConfig.of(2, 3, 16, 8, 37));
    assertThrows(IllegalArgumentException.class, () -> new GptConfig(2, 2, 16, 8, 37, 30));
    assertThrows(IllegalArgumentException.class, () -> GptConfig.of(0, 2, 16, 8, 37));
  }

  @Test
  void rngStateRoundTrips() {
    Rng a = new Rng(123);
    a.nextGaussian();
    Rng b = Rng.fromState(a.state());
    for (int i = 0; i < 10; i++) {
      assertEquals(a.nextLong(), b.nextLong());
    }
  }
}
