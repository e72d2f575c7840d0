package io.ringtrain.ring;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.Errors;
import java.net.BindException;

/**
 * The ring's sockets: Netty's native epoll transport where it loads (Linux on x86-64 and aarch64),
 * else Java's NIO. Epoll takes less CPU per byte moved (bench/README.md, "cores busy"), and on a
 * machine whose cores the ranks share that CPU is what bounds the all-reduce. The system property
 * {@value #NIO_PROPERTY}=true forces NIO, to compare the two.
 */
enum RingTransport {
  EPOLL, NIO;

  static final String NIO_PROPERTY = "ringtrain.ring.nio";
  private static final int EADDRINUSE = 98; // Linux's errno

  static RingTransport chosen() {
    return !Boolean.getBoolean(NIO_PROPERTY) && Epoll.isAvailable() ? EPOLL : NIO;
  }

  IoHandlerFactory ioHandler() {
    return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  Class<? extends ServerChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  Class<? extends SocketChannel> channel() {
    return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /**
   * Whether a failed bind failed because the port is taken: NIO says so with a BindException,
   * epoll with the errno itself (Linux's EADDRINUSE, 98; epoll exists only on Linux).
   */
  static boolean addressInUse(Throwable bindFailure) {
    return bindFailure instanceof BindException
        || bindFailure instanceof Errors.NativeIoException e && e.expectedErr() == -EADDRINUSE;
  }
}
