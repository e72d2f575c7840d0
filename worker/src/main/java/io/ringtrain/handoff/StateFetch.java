package io.ringtrain.handoff;

import io.ringtrain.auth.Hmac;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.proto.CheckpointManifest;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.Path;

/** Receives a peer's state: authenticated both ways, checked against its checksum and the step asked for. */
public final class StateFetch {
  private static final int CONNECT_TIMEOUT_MS = 10_000;
  private static final int IDLE_TIMEOUT_MS = 30_000;
  private static final int MAX_MANIFEST_BYTES = 64 << 20;
  private static final int MAX_TENSORS = 64;

  private StateFetch() {}

  /** How a state served at {@code host:port} is named in messages: {@code peer://host:port/step-S}. */
  public static Path source(String host, int port, long step) {
    return new Path("peer", host + ":" + port, "/step-" + step);
  }

  /**
   * The state of {@code step} that the worker at {@code host:port} holds for job {@code jobId}.
   *
   * @throws IOException naming the peer and what went wrong: unreachable, refused, a wrong secret on
   *     either side, a broken or damaged stream
   */
  public static Checkpoints.Loaded fetch(String host, int port, String jobId, String secret, long step)
      throws IOException {
    String peer = host + ":" + port;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      s.setSoTimeout(IDLE_TIMEOUT_MS);
      DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 20));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
      if (in.readInt() != StateWire.MAGIC) throw new IOException(peer + " is not a ringtrain state server");
      int version = in.readInt();
      if (version != StateWire.VERSION) {
        throw new IOException(peer + " speaks state stream version " + version + ", this worker "
            + StateWire.VERSION + ": run the same ringtrain version everywhere");
      }
      byte[] serverNonce = new byte[32];
      in.readFully(serverNonce);
      byte[] nonce = Hmac.nonce();
      out.write(nonce);
      out.writeLong(step);
      out.write(StateWire.requestMac(secret, serverNonce, jobId, step));
      out.flush();
      if (in.readByte() != StateWire.OK) throw new IOException(peer + " refused: " + in.readUTF());
      byte[] mac = new byte[32];
      in.readFully(mac);
      if (!MessageDigest.isEqual(mac, StateWire.replyMac(secret, nonce, jobId, step))) {
        throw new IOException(peer + " does not hold this job's secret: its state is not taken");
      }
      CRC32C crc = new CRC32C();
      CheckpointManifest manifest = CheckpointManifest.parseFrom(
          StateWire.readBytes(in, crc, MAX_MANIFEST_BYTES, "a manifest"));
      int count = StateWire.readInt(in, crc);
      if (count < 0 || count > MAX_TENSORS) throw new IOException(peer + " announced " + count + " tensors");
      Map<String, float[]> tensors = new LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String name = new String(StateWire.readBytes(in, crc, 256, "a tensor name"), java.nio.charset.StandardCharsets.UTF_8);
        int floats = StateWire.readInt(in, crc);
        if (floats < 0) throw new IOException(peer + " announced tensor " + name + " of " + floats + " floats");
        float[] a = new float[floats];
        StateWire.readFloats(in, a, crc);
        tensors.put(name, a);
      }
      long sent = in.readLong();
      if (sent != crc.getValue()) {
        throw new IOException("the state from " + peer + " arrived damaged (CRC32C " + Long.toHexString(crc.getValue())
            + ", sent as " + Long.toHexString(sent) + ")");
      }
      if (manifest.getStep() != step) {
        throw new IOException(peer + " sent the state of step " + manifest.getStep() + ", not of step " + step);
      }
      return new Checkpoints.Loaded(source(host, port, step), manifest, tensors);
    } catch (java.io.EOFException e) {
      throw new IOException("the state stream from " + peer + " ended early (the peer died?)", e);
    } catch (java.net.SocketTimeoutException e) {
      throw new IOException("the state stream from " + peer + " stalled for " + IDLE_TIMEOUT_MS + " ms", e);
    }
  }
}
