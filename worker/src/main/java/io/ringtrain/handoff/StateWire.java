package io.ringtrain.handoff;

import io.ringtrain.auth.Hmac;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The state stream, both ends. The server opens with a magic, its version and a nonce; the client
 * asks for a step, proving it holds the job's secret; the server answers with a status and, when it
 * holds that step, proves the secret in turn, then sends the manifest and every tensor, and last a
 * CRC32C of all it sent after the proof.
 */
final class StateWire {
  static final int MAGIC = 0x52545354; // "RTST"
  static final int VERSION = 1;
  static final byte OK = 0;
  static final byte REFUSED = 1;
  /** Floats per write: large enough for a socket, small enough not to double the heap. */
  private static final int CHUNK_FLOATS = 256 * 1024;

  private StateWire() {}

  static byte[] requestMac(String secret, byte[] serverNonce, String jobId, long step) {
    return Hmac.sign(secret, "state-request".getBytes(StandardCharsets.UTF_8), serverNonce, utf8(jobId), longBytes(step));
  }

  static byte[] replyMac(String secret, byte[] clientNonce, String jobId, long step) {
    return Hmac.sign(secret, "state-reply".getBytes(StandardCharsets.UTF_8), clientNonce, utf8(jobId), longBytes(step));
  }

  static void writeFloats(DataOutputStream out, float[] a, CRC32C crc) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Float.BYTES * Math.min(CHUNK_FLOATS, Math.max(1, a.length)))
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < a.length; off += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, a.length - off);
      buf.clear();
      buf.asFloatBuffer().put(a, off, n);
      crc.update(buf.array(), 0, n * Float.BYTES);
      out.write(buf.array(), 0, n * Float.BYTES);
    }
  }

  static void readFloats(DataInputStream in, float[] a, CRC32C crc) throws IOException {
    byte[] bytes = new byte[Float.BYTES * Math.min(CHUNK_FLOATS, Math.max(1, a.length))];
    for (int off = 0; off < a.length; off += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, a.length - off);
      in.readFully(bytes, 0, n * Float.BYTES);
      crc.update(bytes, 0, n * Float.BYTES);
      ByteBuffer.wrap(bytes, 0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a, off, n);
    }
  }

  /** Writes {@code v} and adds its bytes to {@code crc}. */
  static void writeInt(DataOutputStream out, int v, CRC32C crc) throws IOException {
    crc.update(ByteBuffer.allocate(Integer.BYTES).putInt(v).array());
    out.writeInt(v);
  }

  static int readInt(DataInputStream in, CRC32C crc) throws IOException {
    int v = in.readInt();
    crc.update(ByteBuffer.allocate(Integer.BYTES).putInt(v).array());
    return v;
  }

  static void writeBytes(DataOutputStream out, byte[] b, CRC32C crc) throws IOException {
    writeInt(out, b.length, crc);
    crc.update(b);
    out.write(b);
  }

  static byte[] readBytes(DataInputStream in, CRC32C crc, int max, String what) throws IOException {
    int n = readInt(in, crc);
    if (n < 0 || n > max) throw new IOException(what + " of " + n + " bytes: not a state stream of this job");
    byte[] b = new byte[n];
    in.readFully(b);
    crc.update(b);
    return b;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
  }
}
