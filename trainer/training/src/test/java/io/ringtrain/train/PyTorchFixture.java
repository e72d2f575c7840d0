package io.ringtrain.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixture that bench/pytorch/gpt2_fixture.py wrote (its docstring defines the format and the
 * entries): named float32 and int32 arrays, read from the test class path.
 */
final class PyTorchFixture {
  private final Map<String, float[]> floats = new LinkedHashMap<>();
  private final Map<String, int[]> ints = new LinkedHashMap<>();
  private final Map<String, int[]> shapes = new LinkedHashMap<>();

  PyTorchFixture(String resource) throws IOException {
    byte[] bytes;
    try (InputStream in = PyTorchFixture.class.getResourceAsStream(resource)) {
      if (in == null) throw new IOException("no test resource " + resource);
      bytes = in.readAllBytes();
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    b.get(magic);
    int version = b.getInt();
    if (!new String(magic, StandardCharsets.US_ASCII).equals("RTFX") || version != 1) {
      throw new IOException(resource + " is not an RTFX version 1 fixture");
    }
    int count = b.getInt();
    for (int e = 0; e < count; e++) {
      byte[] name = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(name);
      int dtype = b.get();
      int[] shape = new int[b.get()];
      int size = 1;
      for (int d = 0; d < shape.length; d++) {
        shape[d] = b.getInt();
        size *= shape[d];
      }
      String key = new String(name, StandardCharsets.UTF_8);
      shapes.put(key, shape);
      if (dtype == 0) {
        float[] v = new float[size];
        b.asFloatBuffer().get(v);
        floats.put(key, v);
      } else {
        int[] v = new int[size];
        b.asIntBuffer().get(v);
        ints.put(key, v);
      }
      b.position(b.position() + 4 * size);
    }
  }

  float[] floats(String name) {
    float[] v = floats.get(name);
    if (v == null) throw new IllegalArgumentException("the fixture has no float32 entry " + name);
    return v;
  }

  int[] ints(String name) {
    int[] v = ints.get(name);
    if (v == null) throw new IllegalArgumentException("the fixture has no int32 entry " + name);
    return v;
  }

  int[] shape(String name) {
    return shapes.get(name).clone();
  }

  /** Names of the float entries that start with {@code prefix}, without it. */
  List<String> names(String prefix) {
    return floats.keySet().stream().filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length())).toList();
  }
}
