package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.ring.WireDtype;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ring's bf16 all-reduce (4 real peers on 127.0.0.1) bit for bit against PyTorch's emulation
 * of the same per-hop rounding (bench/pytorch/bf16_ring_reference.py: torch's own float to
 * bfloat16 cast), and its error against the order of DDP's bf16_compress_hook.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class Bf16WireTorchTest {
  @TempDir Path tmp;

  @Test
  void ringMatchesPyTorchsPerHopRoundingBitForBit() throws Exception {
    int n = 4;
    int length = 200_003; // chunks of unequal length, sub-chunks and vector tails
    Random random = new Random(17);
    float[][] inputs = new float[n][length];
    ByteBuffer file = ByteBuffer.allocate(n * length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] in : inputs) {
      for (int i = 0; i < length; i++) {
        in[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
        file.putFloat(in[i]);
      }
    }
    Path in = tmp.resolve("inputs.f32");
    Path out = tmp.resolve("reference.f32");
    Files.write(in, file.array());

    byte[] secret = "torch-check".getBytes(StandardCharsets.UTF_8);
    List<RingPeer> peers = new ArrayList<>();
    try {
      for (int r = 0; r < n; r++) peers.add(RingPeer.listen("127.0.0.1", 0, 10_000));
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        RingConfig config = RingConfig.of(r, n, "bf16-torch", secret).withWireDtype(WireDtype.BF16);
        ready.add(peers.get(r).connect(config, new InetSocketAddress("127.0.0.1", peers.get((r + 1) % n).port())));
      }
      CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      float[][] data = new float[n][];
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        data[r] = inputs[r].clone();
        done.add(peers.get(r).allReduce(0, 0, data[r], 0, length));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      JsonObject errors = JsonParser.parseString(PythonVenv.runScript("bf16_ring_reference.py", in.toString(),
          out.toString(), Integer.toString(n), Integer.toString(length))).getAsJsonObject();
      ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
      float[] expected = new float[length];
      ref.asFloatBuffer().get(expected);
      for (int r = 0; r < n; r++) assertArrayEquals(expected, data[r], "rank " + r);
      double ring = errors.get("ring_rel_error").getAsDouble();
      double hook = errors.get("hook_rel_error").getAsDouble();
      // n roundings of at most 2^-8 each; rounding every input as the hook does costs more.
      assertTrue(ring > 0 && ring <= n * 0x1p-8, errors.toString());
      assertTrue(ring <= hook, errors.toString());
    } finally {
      peers.forEach(RingPeer::close);
    }
  }
}
