package io.ringtrain.ring;

import io.ringtrain.auth.Hmac;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Mutual peer authentication, before any frame flows. Three messages:
 *
 * <ol>
 *   <li>listener → dialer: hello magic, listener nonce nL (fresh per connection);
 *   <li>dialer → listener: the dialer's rank, its wire dtype, dialer nonce nD,
 *       MAC(dialer role, nL, nD, ranks, dialer's dtype, job);
 *   <li>listener → dialer: its wire dtype, MAC(listener role, nL, nD, ranks, listener's dtype, job),
 *       sent only once it checked the dialer's MAC and rank.
 * </ol>
 *
 * <p>Each side, once it has checked the other's MAC, compares the two wire dtypes: ranks that
 * disagree fail to connect, both of them, with a message naming both settings, rather than
 * exchange frames the other cannot read.
 *
 * <p>Each MAC covers both nonces, so it is fresh for both sides and a recorded one is worthless;
 * the role byte makes a dialer's MAC useless as a listener's (no reflection); the two ranks bind
 * it to this link of the ring, the job id to this job and generation. Each side checks in
 * constant time and says nothing more until the other has proved it holds the secret. Each side
 * replaces itself in the pipeline once done.
 */
final class HmacHandshake {
  private static final System.Logger LOG = System.getLogger(HmacHandshake.class.getName());
  static final int HELLO_MAGIC = 0x4C484752; // "RGHL"
  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  /** Message 1: magic and the listener's nonce. */
  static final int HELLO_BYTES = Integer.BYTES + NONCE_BYTES;
  /** Message 2: the dialer's rank, its wire dtype, its nonce and its MAC. */
  static final int ANSWER_BYTES = 2 * Integer.BYTES + NONCE_BYTES + MAC_BYTES;
  /** Message 3: the listener's wire dtype and its MAC. */
  static final int PROOF_BYTES = Integer.BYTES + MAC_BYTES;
  static final byte DIALER = 'D';
  static final byte LISTENER = 'L';
  private static final byte[] PROTOCOL = "ringtrain ring handshake v3".getBytes(StandardCharsets.UTF_8);

  private HmacHandshake() {}

  /**
   * HMAC-SHA256(secret, protocol ‖ role ‖ nL ‖ nD ‖ dialer rank ‖ listener rank ‖ sender's wire
   * dtype ‖ job id): the same primitive as the control plane's join. The job id is the only field
   * of variable length and comes last, so no two different inputs concatenate to the same bytes.
   */
  static byte[] mac(byte[] secret, byte role, byte[] listenerNonce, byte[] dialerNonce, int dialerRank,
      int listenerRank, int dtype, String jobId) {
    return Hmac.sign(secret, PROTOCOL, new byte[] {role}, listenerNonce, dialerNonce,
        ByteBuffer.allocate(3 * Integer.BYTES).putInt(dialerRank).putInt(listenerRank).putInt(dtype)
            .array(),
        jobId.getBytes(StandardCharsets.UTF_8));
  }

  /** Why two ranks' wire dtypes cannot share a link, or null when they agree. */
  static String dtypeMismatch(RingConfig mine, int peerRank, int theirs) {
    if (theirs == mine.wireDtype().code()) {
      return null;
    }
    WireDtype other = WireDtype.ofCode(theirs);
    return "wire dtype mismatch: ring peer rank " + peerRank + " uses cluster.wire_dtype="
        + (other == null ? "(unknown code " + theirs + ")" : other.spelling()) + " but this rank ("
        + mine.rank() + ") uses " + mine.wireDtype().spelling()
        + "; every rank of a ring must use the same wire dtype";
  }

  /**
   * Listening side: challenges whoever connects, and proves itself only to the previous rank once
   * that one has proved itself. A connection may arrive before this rank knows its place in the
   * ring: its answer then waits for {@code assignment} (bounded by the deadline, and by refusing
   * any byte beyond the answer, so a parked connection holds a fixed few bytes).
   */
  static final class Acceptor extends ByteToMessageDecoder {
    private final CompletableFuture<RingConfig> assignment;
    private final long timeoutMs;
    private final Consumer<Channel> onAccepted;
    private final Consumer<String> onMismatch;
    private final byte[] nonce = Hmac.nonce();
    private final byte[] dialerNonce = new byte[NONCE_BYTES];
    private final byte[] dialerMac = new byte[MAC_BYTES];
    private int dialerRank;
    private int dialerDtype;
    private boolean answered;
    private boolean done;
    private ScheduledFuture<?> deadline;

    /**
     * @param onAccepted the previous rank proved itself and agrees on the wire dtype
     * @param onMismatch it proved itself but uses another wire dtype: why, for the connect to fail
     */
    Acceptor(CompletableFuture<RingConfig> assignment, long timeoutMs, Consumer<Channel> onAccepted,
        Consumer<String> onMismatch) {
      this.assignment = assignment;
      this.timeoutMs = timeoutMs;
      this.onAccepted = onAccepted;
      this.onMismatch = onMismatch;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      ctx.writeAndFlush(ctx.alloc().buffer(HELLO_BYTES).writeIntLE(HELLO_MAGIC).writeBytes(nonce));
      deadline = ctx.executor().schedule(
          () -> refuse(ctx, "no handshake within " + timeoutMs + " ms"),
          timeoutMs, TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      done = true;
      deadline.cancel(false);
      super.channelInactive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (done) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (answered) {
        // A genuine dialer waits for our proof before it sends a frame.
        refuse(ctx, "it sent more than its handshake before being accepted");
        return;
      }
      if (in.readableBytes() < ANSWER_BYTES) {
        return;
      }
      dialerRank = in.readIntLE();
      dialerDtype = in.readIntLE();
      in.readBytes(dialerNonce);
      in.readBytes(dialerMac);
      answered = true;
      if (in.isReadable()) {
        refuse(ctx, "it sent more than its handshake before being accepted");
        return;
      }
      assignment.thenAcceptAsync(config -> check(ctx, config), ctx.executor());
    }

    /** On the channel's loop, once this rank knows its place in the ring. */
    private void check(ChannelHandlerContext ctx, RingConfig config) {
      if (done) {
        return;
      }
      byte[] expected = mac(config.secret(), DIALER, nonce, dialerNonce, dialerRank, config.rank(),
          dialerDtype, config.jobId());
      if (!MessageDigest.isEqual(dialerMac, expected)) {
        refuse(ctx, "bad HMAC");
      } else if (dialerRank != config.prev()) {
        refuse(ctx, "it claims rank " + dialerRank + ", this rank accepts only rank " + config.prev());
      } else {
        done = true;
        deadline.cancel(false);
        int dtype = config.wireDtype().code();
        // The proof goes out even on a mismatch, so that the dialer learns our dtype, authenticated.
        ChannelFuture sent = ctx.writeAndFlush(ctx.alloc().buffer(PROOF_BYTES).writeIntLE(dtype)
            .writeBytes(mac(config.secret(), LISTENER, nonce, dialerNonce, dialerRank, config.rank(),
                dtype, config.jobId())));
        String mismatch = dtypeMismatch(config, dialerRank, dialerDtype);
        if (mismatch == null) {
          onAccepted.accept(ctx.channel());
        } else {
          LOG.log(System.Logger.Level.WARNING, "refused ring peer from {0}: {1}",
              ctx.channel().remoteAddress(), mismatch);
          sent.addListener(ChannelFutureListener.CLOSE);
          onMismatch.accept(mismatch);
        }
      }
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
      if (done) {
        return;
      }
      done = true;
      deadline.cancel(false);
      LOG.log(System.Logger.Level.WARNING, "refused ring peer from {0}: {1}",
          ctx.channel().remoteAddress(), why);
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      refuse(ctx, cause.toString());
    }
  }

  /** Dialing side: answers the challenge with its own, and goes on only if the listener proves itself. */
  static final class Connector extends ByteToMessageDecoder {
    private final RingConfig config;
    private final Consumer<Channel> onAccepted;
    private final Consumer<String> onRefused;
    private final byte[] nonce = Hmac.nonce();
    private byte[] listenerNonce;
    private boolean done;
    private ScheduledFuture<?> deadline;

    Connector(RingConfig config, Consumer<Channel> onAccepted, Consumer<String> onRefused) {
      this.config = config;
      this.onAccepted = onAccepted;
      this.onRefused = onRefused;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      deadline = ctx.executor().schedule(
          () -> refused(ctx, "no handshake within " + config.connectTimeoutMs() + " ms"),
          config.connectTimeoutMs(), TimeUnit.MILLISECONDS);
      super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (done) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (listenerNonce == null) {
        if (in.readableBytes() < HELLO_BYTES) {
          return;
        }
        int magic = in.readIntLE();
        if (magic != HELLO_MAGIC) {
          refused(ctx, String.format("not a ring peer (hello magic 0x%08x)", magic));
          return;
        }
        listenerNonce = new byte[NONCE_BYTES];
        in.readBytes(listenerNonce);
        int dtype = config.wireDtype().code();
        ctx.writeAndFlush(ctx.alloc().buffer(ANSWER_BYTES).writeIntLE(config.rank()).writeIntLE(dtype)
            .writeBytes(nonce).writeBytes(mac(DIALER, listenerNonce, dtype)));
      }
      if (in.readableBytes() < PROOF_BYTES) {
        return;
      }
      int listenerDtype = in.readIntLE();
      byte[] proof = new byte[MAC_BYTES];
      in.readBytes(proof);
      if (!MessageDigest.isEqual(proof, mac(LISTENER, listenerNonce, listenerDtype))) {
        refused(ctx, "refused it: its handshake shows no knowledge of this job's secret (a process that"
            + " is not rank " + config.next() + " of this job, or a wrong secret or job id)");
        return;
      }
      String mismatch = dtypeMismatch(config, config.next(), listenerDtype);
      if (mismatch != null) {
        refused(ctx, mismatch);
        return;
      }
      done = true;
      deadline.cancel(false);
      onAccepted.accept(ctx.channel()); // what follows the proof (an abort frame) is the frames' to read
    }

    private byte[] mac(byte role, byte[] listenerNonce, int dtype) {
      return HmacHandshake.mac(config.secret(), role, listenerNonce, nonce, config.rank(), config.next(),
          dtype, config.jobId());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      refused(ctx, listenerNonce != null
          ? "it refused this rank: it closed the connection after our answer (wrong secret or job id?)"
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
