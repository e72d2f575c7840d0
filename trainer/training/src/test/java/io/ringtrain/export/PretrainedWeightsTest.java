package io.ringtrain.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.model.Rng;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export then {@code --init-from}: the same weights, bit for bit, through the one shared name mapping. */
class PretrainedWeightsTest {
  /** 300 tokens, padded to 384 inside: the export drops the padding, the import leaves it zero. */
  static final GptConfig CFG = GptConfig.of(2, 2, 16, 8, 300);
  static JavaBackend backend;
  @TempDir static Path tmp;
  static Path exported;
  static float[] trained;

  @BeforeAll
  static void export() throws Exception {
    backend = new JavaBackend(1);
    GptModel model = new GptModel(CFG, backend);
    model.initialize(new Rng(7));
    trained = model.params().clone();
    exported = tmp.resolve("hf");
    Files.createDirectories(exported);
    try (OutputStream o = Files.newOutputStream(exported.resolve("model.safetensors"))) {
      SafetensorsExport.write(CFG, trained, o);
    }
    Files.writeString(exported.resolve("config.json"), SafetensorsExport.configJson(CFG, 299));
  }

  @AfterAll
  static void close() {
    backend.close();
  }

  @Test
  void exportThenImportGivesTheSameParameters() throws Exception {
    PretrainedWeights w = PretrainedWeights.open(exported.toString());
    assertEquals(new PretrainedWeights.Shape(2, 2, 16, 8, 300), w.shape());
    GptModel model = new GptModel(CFG, backend);
    model.initialize(new Rng(8));
    w.loadInto(model);
    assertArrayEquals(trained, model.params());
  }

  @Test
  void aShorterContextTakesTheFirstPositions() throws Exception {
    GptConfig shorter = GptConfig.of(2, 2, 16, 4, 300);
    GptModel model = new GptModel(shorter, backend);
    PretrainedWeights.open(exported.resolve("model.safetensors").toString()).loadInto(model);
    ParameterLayout ours = new ParameterLayout(CFG);
    ParameterLayout theirs = model.layout();
    assertArrayEquals(Arrays.copyOfRange(trained, ours.wpe(), ours.wpe() + 4 * 16),
        Arrays.copyOfRange(model.params(), theirs.wpe(), theirs.wpe() + 4 * 16));
    int qkv = ours.layer(1).qkvw();
    assertArrayEquals(Arrays.copyOfRange(trained, qkv, qkv + 48 * 16),
        Arrays.copyOfRange(model.params(), theirs.layer(1).qkvw(), theirs.layer(1).qkvw() + 48 * 16));
  }

  @Test
  void aModelOfAnotherShapeIsRefusedByField() throws Exception {
    PretrainedWeights w = PretrainedWeights.open(exported.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> w.checkFits(GptConfig.of(3, 2, 16, 16, 300)));
    assertTrue(e.getMessage().contains("n_layer is 2 there but 3 here"), e.getMessage());
    assertTrue(e.getMessage().contains("block_size 16 is longer than its 8 positions"), e.getMessage());
  }

  @Test
  void aHeaderThatDisagreesWithConfigJsonIsRefused() throws Exception {
    Path other = tmp.resolve("other");
    Files.createDirectories(other);
    Files.copy(exported.resolve("model.safetensors"), other.resolve("model.safetensors"));
    Files.writeString(other.resolve("config.json"), SafetensorsExport.configJson(GptConfig.of(2, 2, 16, 8, 301), 300));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PretrainedWeights.open(other.toString()));
    assertTrue(e.getMessage().contains("tensor transformer.wte.weight has shape [300, 16], but config.json implies"
        + " [301, 16]"), e.getMessage());
  }
}
