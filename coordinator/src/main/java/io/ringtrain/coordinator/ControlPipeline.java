package io.ringtrain.coordinator;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.ringtrain.proto.ControlMessage;

/** The control plane's wire format: a 4-byte length, then one {@link ControlMessage}. */
final class ControlPipeline {
  /** Larger than any control message (the biggest is an Assignment carrying the job spec). */
  static final int MAX_FRAME_BYTES = 4 << 20;
  /**
   * Before it authenticates a peer sends one Join: a job id, a MAC, a host name and a few numbers,
   * well under a KiB. 16 KiB leaves room for long names and holds little memory per stranger.
   */
  static final int MAX_PRE_JOIN_FRAME_BYTES = 16 << 10;
  private static final String FRAME_DECODER = "frame-decoder";
  private static final String CAP = "unauthenticated-cap";
  private static final String DEADLINE = "join-deadline";

  private ControlPipeline() {}

  /** A worker's side: it trusts the coordinator it dialled. */
  static void install(ChannelPipeline p) {
    install(p, MAX_FRAME_BYTES);
  }

  /**
   * The coordinator's side of a new connection, whose peer has proved nothing yet: it counts
   * against {@code cap}, must authenticate within the {@link JoinDeadline} that follows from the
   * workers' failure timeout, and may send frames of at most {@link #MAX_PRE_JOIN_FRAME_BYTES}.
   * {@link #authenticated} lifts all three.
   */
  static void installUnauthenticated(ChannelPipeline p, UnauthenticatedConnectionCap cap,
      long workerFailureTimeoutMs) {
    p.addLast(CAP, cap.slot());
    p.addLast(DEADLINE, new JoinDeadline(workerFailureTimeoutMs));
    install(p, MAX_PRE_JOIN_FRAME_BYTES);
  }

  /** The peer's join is authenticated: it is a worker of the job, with a worker's limits. On its event loop. */
  static void authenticated(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    p.remove(CAP);
    p.remove(DEADLINE);
    // Bytes the small decoder had buffered pass on to the new one.
    p.replace(FRAME_DECODER, FRAME_DECODER, frameDecoder(MAX_FRAME_BYTES));
  }

  private static void install(ChannelPipeline p, int maxFrameBytes) {
    p.addLast(FRAME_DECODER, frameDecoder(maxFrameBytes));
    p.addLast("frame-encoder", new LengthFieldPrepender(4));
    p.addLast("protobuf-decoder", new ProtobufDecoder(ControlMessage.getDefaultInstance()));
    p.addLast("protobuf-encoder", new ProtobufEncoder());
  }

  /** Fails fast: an oversized length is refused when read, before any of its bytes are buffered. */
  private static LengthFieldBasedFrameDecoder frameDecoder(int maxFrameBytes) {
    return new LengthFieldBasedFrameDecoder(maxFrameBytes, 0, 4, 0, 4, true);
  }
}
