package io.ringtrain.ring;

import io.ringtrain.coordinator.Hmac;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Peer authentication, before any frame flows. The accepting side sends a fresh random nonce; the
 * connecting side answers with its rank and HMAC-SHA256(secret, nonce ‖ job id ‖ rank); the
 * accepting side checks it in constant time and answers one accept byte. A nonce per connection
 * means a recorded answer cannot be replayed. Each side replaces itself in the pipeline once done.
 */
final class HmacHandshake {
  private static final System.Logger LOG = System.getLogger(HmacHandshake.class.getName());
  static final int HELLO_MAGIC = 0x4C484752; // "RGHL"
  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  static final byte ACCEPTED = 'A';

  private HmacHandshake() {}

  /** HMAC-SHA256(secret, nonce ‖ job id ‖ rank): the same primitive as the control plane's join. */
  static byte[] mac(byte[] secret, byte[] nonce, String jobId, int rank) {
    return Hmac.sign(secret, nonce, jobId.getBytes(StandardCharsets.UTF_8),
        ByteBuffer.allocate(Integer.BYTES).putInt(rank).array());
  }

  /** Accepting side: challenges the previous rank; hands the channel on only if it answers right. */
  static final class Acceptor extends ByteToMessageDecoder {
    private final byte[] secret;
    private final String jobId;
    private final int expectedRank;
    private final long timeoutMs;
    private final Consumer<Channel> onAccepted;
    private final byte[] nonce = new byte[NONCE_BYTES];
    private ScheduledFuture<?> deadline;
    private boolean refused;

    Acceptor(byte[] secret, String jobId, int expectedRank, long timeoutMs,
        Consumer<Channel> onAccepted) {
      this.secret = secret;
      this.jobId = jobId;
      this.expectedRank = expectedRank;
      this.timeoutMs = timeoutMs;
      this.onAccepted = onAccepted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      System.arraycopy(Hmac.nonce(), 0, nonce, 0, NONCE_BYTES);
      ctx.writeAndFlush(ctx.alloc().buffer(4 + NONCE_BYTES).writeIntLE(HELLO_MAGIC).writeBytes(nonce));
      deadline = ctx.executor().schedule(
          () -> refuse(ctx, "no handshake within " + timeoutMs + " ms"),
          timeoutMs, TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      deadline.cancel(false);
      super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (refused) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (in.readableBytes() < Integer.BYTES + MAC_BYTES) {
        return;
      }
      deadline.cancel(false);
      int rank = in.readIntLE();
      byte[] answer = new byte[MAC_BYTES];
      in.readBytes(answer);
      if (!MessageDigest.isEqual(answer, mac(secret, nonce, jobId, rank))) {
        refuse(ctx, "bad HMAC");
      } else if (rank != expectedRank) {
        refuse(ctx, "it claims rank " + rank + ", this rank accepts only rank " + expectedRank);
      } else {
        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(ACCEPTED));
        onAccepted.accept(ctx.channel());
      }
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
      refused = true;
      LOG.log(System.Logger.Level.WARNING, "refused ring peer from {0}: {1}",
          ctx.channel().remoteAddress(), why);
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      refuse(ctx, cause.toString());
    }
  }

  /** Connecting side: answers the challenge, then waits for the accept byte. */
  static final class Connector extends ByteToMessageDecoder {
    private final byte[] secret;
    private final String jobId;
    private final int rank;
    private final long timeoutMs;
    private final Consumer<Channel> onAccepted;
    private final Consumer<String> onRefused;
    private boolean answered;
    private boolean done;
    private ScheduledFuture<?> deadline;

    Connector(byte[] secret, String jobId, int rank, long timeoutMs,
        Consumer<Channel> onAccepted, Consumer<String> onRefused) {
      this.secret = secret;
      this.jobId = jobId;
      this.rank = rank;
      this.timeoutMs = timeoutMs;
      this.onAccepted = onAccepted;
      this.onRefused = onRefused;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      deadline = ctx.executor().schedule(
          () -> refused(ctx, "no handshake within " + timeoutMs + " ms"),
          timeoutMs, TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (!answered) {
        if (in.readableBytes() < Integer.BYTES + NONCE_BYTES) {
          return;
        }
        int magic = in.readIntLE();
        if (magic != HELLO_MAGIC) {
          refused(ctx, String.format("not a ring peer (hello magic 0x%08x)", magic));
          return;
        }
        byte[] nonce = new byte[NONCE_BYTES];
        in.readBytes(nonce);
        ctx.writeAndFlush(ctx.alloc().buffer(Integer.BYTES + MAC_BYTES)
            .writeIntLE(rank).writeBytes(mac(secret, nonce, jobId, rank)));
        answered = true;
      }
      if (in.isReadable()) {
        byte verdict = in.readByte();
        if (verdict != ACCEPTED) {
          refused(ctx, "unexpected handshake byte " + verdict);
          return;
        }
        done = true;
        deadline.cancel(false);
        onAccepted.accept(ctx.channel());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      refused(ctx, answered
          ? "it closed the connection after our answer (wrong secret or job id?)"
          : "it closed the connection before the handshake");
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      refused(ctx, cause.toString());
    }

    private void refused(ChannelHandlerContext ctx, String why) {
      if (!done) {
        done = true;
        if (deadline != null) {
          deadline.cancel(false);
        }
        ctx.close();
        onRefused.accept(why);
      }
    }
  }
}
