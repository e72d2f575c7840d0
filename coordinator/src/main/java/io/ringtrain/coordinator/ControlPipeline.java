package io.ringtrain.coordinator;

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

  private ControlPipeline() {}

  static void install(ChannelPipeline p) {
    p.addLast("frame-decoder", new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, 4));
    p.addLast("frame-encoder", new LengthFieldPrepender(4));
    p.addLast("protobuf-decoder", new ProtobufDecoder(ControlMessage.getDefaultInstance()));
    p.addLast("protobuf-encoder", new ProtobufEncoder());
  }
}
