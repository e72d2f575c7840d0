package io.ringtrain.handoff;

import io.ringtrain.auth.Hmac;
import io.ringtrain.checkpoint.Checkpoints;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.MessageDigest;
import java.util.Map;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * Serves the state this worker holds, if any, to whoever proves the job's secret and asks for its
 * step. The state's arrays must not change while held: they belong to a trainer whose run ended.
 */
public final class StateServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StateServer.class.getName());
  private static final int IDLE_TIMEOUT_MS = 30_000;

  private final ServerSocket socket;
  private final String jobId;
  private final String secret;
  private volatile Checkpoints.Loaded held;

  private StateServer(ServerSocket socket, String jobId, String secret) {
    this.socket = socket;
    this.jobId = jobId;
    this.secret = secret;
    Thread accept = new Thread(this::acceptLoop, "state-server");
    accept.setDaemon(true);
    accept.start();
  }

  /** Listens on {@code bindHost} at a free port for job {@code jobId}'s workers. */
  public static StateServer listen(String bindHost, String jobId, String secret) throws IOException {
    ServerSocket s = new ServerSocket();
    try {
      s.bind(new java.net.InetSocketAddress(InetAddress.getByName(bindHost), 0));
    } catch (IOException e) {
      s.close();
      BindException be = new BindException("cannot serve this worker's state on " + bindHost + ": " + e.getMessage());
      be.initCause(e);
      throw be;
    }
    return new StateServer(s, jobId, secret);
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** From now on serves {@code state} (null: nothing). */
  public void hold(Checkpoints.Loaded state) {
    held = state;
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket c = socket.accept();
        Thread t = new Thread(() -> serve(c), "state-send-" + c.getRemoteSocketAddress());
        t.setDaemon(true);
        t.start();
      } catch (SocketException closed) {
        return;
      } catch (IOException e) {
        LOG.warning("state server: " + e.getMessage());
      }
    }
  }

  private void serve(Socket c) {
    try (c) {
      c.setSoTimeout(IDLE_TIMEOUT_MS);
      DataInputStream in = new DataInputStream(new BufferedInputStream(c.getInputStream()));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(c.getOutputStream(), 1 << 20));
      byte[] nonce = Hmac.nonce();
      out.writeInt(StateWire.MAGIC);
      out.writeInt(StateWire.VERSION);
      out.write(nonce);
      out.flush();
      byte[] clientNonce = new byte[32];
      in.readFully(clientNonce);
      long step = in.readLong();
      byte[] mac = new byte[32];
      in.readFully(mac);
      if (!MessageDigest.isEqual(mac, StateWire.requestMac(secret, nonce, jobId, step))) {
        refuse(out, "authentication failed: wrong job secret or another job");
        return;
      }
      Checkpoints.Loaded state = held;
      if (state == null || state.manifest().getStep() != step) {
        refuse(out, "this worker holds " + (state == null ? "no state" : "step " + state.manifest().getStep())
            + ", not step " + step);
        return;
      }
      out.writeByte(StateWire.OK);
      out.write(StateWire.replyMac(secret, clientNonce, jobId, step));
      CRC32C crc = new CRC32C();
      StateWire.writeBytes(out, state.manifest().toByteArray(), crc);
      StateWire.writeInt(out, state.tensors().size(), crc);
      for (Map.Entry<String, float[]> t : state.tensors().entrySet()) {
        StateWire.writeBytes(out, StateWire.utf8(t.getKey()), crc);
        StateWire.writeInt(out, t.getValue().length, crc);
        StateWire.writeFloats(out, t.getValue(), crc);
      }
      out.writeLong(crc.getValue());
      out.flush();
    } catch (IOException e) {
      LOG.warning("state server: sending to " + c.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
  }

  private static void refuse(DataOutputStream out, String why) throws IOException {
    out.writeByte(StateWire.REFUSED);
    out.writeUTF(why);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    held = null;
    socket.close();
  }
}
