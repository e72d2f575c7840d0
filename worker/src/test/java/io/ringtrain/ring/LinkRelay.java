package io.ringtrain.ring;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP relay on one ring link, so that a test can end the link at the receiving rank the way a
 * crashed sender's kernel would (a FIN, no goodbye frame) while the sender, alive in this JVM,
 * sees nothing: what it writes after the cut is read and dropped.
 */
final class LinkRelay implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private volatile Socket fromSender;
  private volatile Socket toReceiver;
  private volatile boolean cut;

  LinkRelay(int receiverPort) throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    target = Rings.local(receiverPort);
    Thread accept = new Thread(this::relay, "link-relay");
    accept.setDaemon(true);
    accept.start();
  }

  /** Where the sending rank connects instead of the receiver. */
  InetSocketAddress address() {
    return Rings.local(server.getLocalPort());
  }

  private void relay() {
    try {
      fromSender = server.accept();
      toReceiver = new Socket(target.getAddress(), target.getPort());
      pump(toReceiver.getInputStream(), fromSender.getOutputStream(), "link-relay-back");
      pump(fromSender.getInputStream(), toReceiver.getOutputStream(), "link-relay-forward");
    } catch (IOException e) {
      // the test closed the relay
    }
  }

  private void pump(InputStream in, OutputStream out, String name) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try {
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
          if (!cut) {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // one side went away
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  /** Ends the link at the receiver; the sender's side stays open and is drained. */
  void cutAtReceiver() throws IOException {
    cut = true;
    toReceiver.close();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : new Socket[] {fromSender, toReceiver}) {
      if (s != null) s.close();
    }
  }
}
