package io.ringtrain.ring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The event-driven ring all-reduce (sum): reduce-scatter then all-gather, pipelined by sub-chunk.
 *
 * <p>The region is cut into N chunks, chunk c = [c·len/N, (c+1)·len/N), each into sub-chunks of at
 * most {@code subChunkFloats}. Rank c starts chunk c by sending its values to rank c+1; every rank
 * that receives a reduce-scatter sub-chunk adds its own values and forwards the partial sum at
 * once, with no step barrier. Rank c-1 adds the last contribution, keeps the final sum and starts
 * the all-gather of that sub-chunk, which each rank copies in and forwards until rank c-2, the last
 * one missing it. So sending, receiving and summing overlap across sub-chunks and buckets.
 *
 * <p>Determinism: element e of chunk c is always summed as ((x_c + x_c+1) + x_c+2) + ... in ring
 * order starting at rank c, whichever rank runs it and whenever; the all-gather copies that one
 * value everywhere, so every rank and every run gets the same bits. In bf16 every value sent is
 * rounded: r(r(r(x_c) + x_c+1) + x_c+2) ..., each addition in fp32; the last hop keeps the rounded
 * sum it sends, so it holds exactly the floats every other rank widens from the all-gather.
 *
 * <p>All state lives on one event loop (the one reading from the previous rank), so it has no
 * locks; the next link's events and callers' requests hop onto it.
 */
final class RingAllReduce {
  private static final System.Logger LOG = System.getLogger(RingAllReduce.class.getName());
  /** Four default sub-chunks: a batch big enough to amortise a flush, small enough to keep the pipeline fed. */
  static final int FLUSH_BYTES = 512 * 1024;

  private final int rank;
  private final int size;
  private final int subFloats;
  private final WireDtype wireDtype;
  private final long timeoutNanos;
  private final long firstStepTimeoutNanos;
  private final EventLoop loop;
  private final String prevName;
  private final Map<Integer, Op> ops = new HashMap<>();
  /** Operations whose own chunk is not fully sent yet, in start order. */
  private final ArrayDeque<Op> sending = new ArrayDeque<>();
  /** Frames for buckets this rank has not started yet, kept (retained) until it does. */
  private final Map<Integer, ArrayDeque<Frame>> early = new HashMap<>();
  private Channel prev;
  private Channel next;
  private RingException failure;
  private boolean ready;
  private boolean prevLeft;
  private boolean nextLeft;
  private long lastFrameNanos;
  private long firstStep = Long.MIN_VALUE; // of this ring's first all-reduce
  private boolean pastFirstStep;
  private ScheduledFuture<?> watchdog;
  /** Bytes written to the next link since its last flush. */
  private long unflushedBytes;

  RingAllReduce(RingConfig config, EventLoop loop, String prevName) {
    this.rank = config.rank();
    this.size = config.worldSize();
    this.subFloats = config.subChunkFloats();
    this.wireDtype = config.wireDtype();
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.timeoutMs());
    this.firstStepTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(config.timeoutMs(), config.connectTimeoutMs()));
    this.loop = loop;
    this.prevName = prevName;
  }

  /** A link passed the handshake; known from now on so that a failure can be reported on it. */
  void linked(Channel link, boolean fromPrev) {
    if (hop(() -> linked(link, fromPrev), link::close)) {
      return;
    }
    if (fromPrev) {
      prev = link;
    } else {
      next = link;
    }
    if (failure != null) {
      abort(link, rank, failure.getMessage());
    }
  }

  /** Both links are up: start the stall watchdog. Call on the ring loop, after both linked(). */
  void attach() {
    if (failure != null) {
      throw failure; // a link dropped while the other was still connecting
    }
    ready = true;
    long period = Math.max(TimeUnit.NANOSECONDS.toMillis(timeoutNanos) / 8, 5);
    watchdog = loop.scheduleAtFixedRate(this::checkStall, period, period, TimeUnit.MILLISECONDS);
  }

  CompletableFuture<Void> allReduce(
      long step, int bucket, float[] data, int offset, int length, WireDtype dtype) {
    if (dtype != WireDtype.FP32 && dtype != wireDtype) {
      // The handshake checked only the ring's own dtype: another one could meet a neighbour's fp32.
      return CompletableFuture.failedFuture(new IllegalArgumentException("an all-reduce in " + dtype.spelling()
          + " on a ring whose ranks agreed on " + wireDtype.spelling() + " (only fp32 is always allowed)"));
    }
    Op op = new Op(step, bucket, data, offset, length, dtype);
    try {
      loop.execute(() -> {
        try {
          start(op);
        } catch (RuntimeException | Error e) {
          // Not a peer's fault: still the whole ring must stop now, not at the stall timeout.
          fail(new RingException("ring rank " + rank + " failed starting an all-reduce: " + e, e));
          op.future.completeExceptionally(failure);
        }
      });
    } catch (RejectedExecutionException e) {
      op.future.completeExceptionally(new RingException("ring peer rank " + rank + " is closed", e));
    }
    return op.future;
  }

  private void start(Op op) {
    if (failure != null) {
      op.future.completeExceptionally(failure);
      return;
    }
    if (!ready) {
      op.future.completeExceptionally(new IllegalStateException("ring is not connected yet"));
      return;
    }
    if (prevLeft || nextLeft) {
      op.future.completeExceptionally(new RingException("ring peer rank "
          + (prevLeft ? (rank + size - 1) % size : (rank + 1) % size) + " has left the ring"));
      return;
    }
    if (firstStep == Long.MIN_VALUE) firstStep = op.step;
    pastFirstStep |= op.step != firstStep;
    Op running = ops.get(op.bucket);
    if (running != null) {
      op.future.completeExceptionally(new IllegalStateException(
          "bucket " + op.bucket + " already has an all-reduce in flight (step " + running.step + ")"));
      return;
    }
    ArrayDeque<Frame> waiting = early.remove(op.bucket);
    if (waiting != null && waiting.peek().step != op.step) {
      fail(stepMismatch(op.bucket, op.step, waiting.peek().step));
      release(waiting);
      op.future.completeExceptionally(failure);
      return;
    }
    if (op.remaining == 0) {
      op.future.complete(null);
      return;
    }
    if (ops.isEmpty()) {
      lastFrameNanos = System.nanoTime(); // idle time between steps is not a stall
    }
    ops.put(op.bucket, op);
    sending.add(op);
    pump();
    if (waiting != null) {
      while (!waiting.isEmpty() && failure == null) {
        Frame frame = waiting.poll();
        if (frame.step != op.step) {
          fail(stepMismatch(op.bucket, op.step, frame.step));
        } else {
          process(op, frame);
        }
        frame.release();
      }
      release(waiting);
    }
    flush();
  }

  /** A frame from either link. */
  void onFrame(Frame frame) {
    if (hop(() -> onFrame(frame), frame::release)) {
      return;
    }
    if (failure != null) {
      frame.release();
      return;
    }
    lastFrameNanos = System.nanoTime();
    if (frame.phase == FrameCodec.ABORT) {
      String reason = frame.abortReason();
      int origin = frame.chunk;
      frame.release();
      fail(new RingException("ring aborted by rank " + origin + ": " + reason), origin, reason);
      return;
    }
    Op op = ops.get(frame.bucket);
    if (op == null) {
      early.computeIfAbsent(frame.bucket, b -> new ArrayDeque<>()).add(frame);
      return;
    }
    if (op.step != frame.step) {
      frame.release();
      fail(stepMismatch(op.bucket, op.step, frame.step));
      return;
    }
    process(op, frame);
    frame.release();
    pump();
  }

  /** The previous link's read loop ended: what its frames made for the next rank goes out now. */
  void onReadComplete() {
    if (hop(this::onReadComplete, () -> { })) {
      return;
    }
    flush();
  }

  /** The next link drained below its low-water mark. */
  void onWritable() {
    if (hop(this::onWritable, () -> { })) {
      return;
    }
    if (failure == null && ready) {
      pump();
      flush();
    }
  }

  /**
   * Sends this rank's own chunks, oldest bucket first, while the next link is writable. Without
   * this window a 64 MiB bucket would queue 32 MiB of direct buffers at once, overflowing the pool
   * (fresh memory, page faults) for no gain: the socket drains at the same speed either way.
   * Forwarded frames bypass the window: other ranks are waiting on them.
   */
  private void pump() {
    while (!sending.isEmpty() && next.isWritable()) {
      Op op = sending.peek();
      if (op.sentParts == op.parts(rank)) {
        sending.poll();
        continue;
      }
      int part = op.sentParts++;
      send(FrameCodec.encode(next.alloc(), op.step, op.bucket, FrameCodec.REDUCE_SCATTER,
          op.dtype, rank, part, op.data, op.partStart(rank, part), op.partLength(rank, part)));
    }
  }

  /**
   * Queues a frame for the next rank. The next link lives on the other event loop, so every flush
   * is a task there and often a wake-up (a syscall each side): frames go out in batches of about
   * {@link #FLUSH_BYTES}, and the rest when the read that made them completes, not one by one.
   */
  private void send(ByteBuf frame) {
    unflushedBytes += frame.readableBytes();
    next.write(frame, next.voidPromise());
    if (unflushedBytes >= FLUSH_BYTES) {
      flush();
    }
  }

  private void flush() {
    if (unflushedBytes > 0) {
      unflushedBytes = 0;
      next.flush();
    }
  }

  private void process(Op op, Frame frame) {
    int chunk = frame.chunk;
    int part = frame.part;
    boolean reduce = frame.phase == FrameCodec.REDUCE_SCATTER;
    if (chunk < 0 || chunk >= size || part < 0 || part >= op.parts(chunk)
        || frame.count != op.partLength(chunk, part) || (reduce && chunk == rank)) {
      fail(new RingException(String.format(
          "bad frame from %s for step %d bucket %d: phase %d chunk %d part %d with %d floats "
              + "(this rank has %d floats in the bucket; do all ranks use the same bucket sizes "
              + "and sub-chunk size?)",
          prevName, frame.step, op.bucket, frame.phase, chunk, part, frame.count, op.length)));
      return;
    }
    if (frame.dtype != op.dtype) {
      fail(new RingException(String.format(
          "%s sent %s values for step %d bucket %d, whose all-reduce here is %s: do all ranks use the"
              + " same cluster.wire_dtype?",
          prevName, frame.dtype.spelling(), frame.step, op.bucket, op.dtype.spelling())));
      return;
    }
    int at = op.partStart(chunk, part);
    int n = frame.count;
    float[] data = op.data;
    if (reduce) {
      boolean lastHop = rank == (chunk + size - 1) % size;
      if (lastHop) {
        op.remaining--;
      }
      send(FrameCodec.addAndForward(next.alloc(), op.step, op.bucket,
          lastHop ? FrameCodec.ALL_GATHER : FrameCodec.REDUCE_SCATTER, op.dtype, chunk, part, data,
          at, n, frame.payload(), lastHop));
    } else {
      if (rank != (chunk + size - 2) % size) {
        // Forwarded as the very bytes received: no copy, no re-encoding.
        send(frame.raw.retainedDuplicate());
      }
      FrameCodec.read(op.dtype, frame.payload(), data, at, n);
      op.remaining--;
    }
    if (op.remaining == 0) {
      ops.remove(op.bucket);
      op.future.complete(null);
    }
  }

  private void checkStall() {
    if (failure == null && !ops.isEmpty()) {
      long quiet = System.nanoTime() - lastFrameNanos;
      // In the ring's first step a rank may still be compiling its kernels (a cold replacement
      // beside warm survivors): that skew is a start-up, bounded like the connect.
      if (quiet > (pastFirstStep ? timeoutNanos : firstStepTimeoutNanos)) {
        fail(new RingException(String.format(
            "no frame from %s for %d ms while %d all-reduce(s) were pending: peer stalled",
            prevName, TimeUnit.NANOSECONDS.toMillis(quiet), ops.size())));
      }
    }
  }

  /** This rank is closing: a goodbye when idle, else a failure that the whole ring learns of. */
  void leave(RingException closed) {
    if (failure != null) {
      return;
    }
    if (!ops.isEmpty()) {
      fail(new RingException(closed.getMessage() + " with " + ops.size()
          + " all-reduce(s) pending"));
      return;
    }
    failure = closed;
    early.values().forEach(RingAllReduce::release);
    early.clear();
    if (watchdog != null) {
      watchdog.cancel(false);
    }
    for (Channel link : new Channel[] {prev, next}) {
      if (link != null && link.isActive()) {
        link.writeAndFlush(FrameCodec.bye(link.alloc(), rank))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  /**
   * A neighbour said goodbye. Everything it sent us came before, on the same link: if it was the
   * previous rank and operations here still lack frames, they never will. The next rank finished
   * everything it needed from us, so our pending operations can still complete.
   */
  void onLeft(boolean fromPrev, String peer) {
    if (hop(() -> onLeft(fromPrev, peer), () -> { })) {
      return;
    }
    if (fromPrev) {
      prevLeft = true;
    } else {
      nextLeft = true;
    }
    if (fromPrev && !ops.isEmpty()) {
      fail(new RingException(peer + " left the ring while " + ops.size()
          + " all-reduce(s) here still needed its frames"));
    }
  }

  void onDisconnected(boolean fromPrev, String peer) {
    // Hopping keeps it behind any goodbye read just before on the same link.
    if (hop(() -> onDisconnected(fromPrev, peer), () -> { })) {
      return;
    }
    if (!(fromPrev ? prevLeft : nextLeft)) {
      fail(new RingException(peer + " disconnected"));
    }
  }

  /** Fails everything pending, for good, and tells both neighbours so the whole ring stops. */
  void fail(RingException cause) {
    fail(cause, rank, cause.getMessage());
  }

  private void fail(RingException cause, int origin, String reason) {
    if (hop(() -> fail(cause, origin, reason), () -> { })) {
      return;
    }
    if (failure != null) {
      return;
    }
    failure = cause;
    // Loud only when it cost an operation; an idle ring breaking is the normal way to shut down.
    LOG.log(ops.isEmpty() ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
        "ring rank {0} failed: {1}", rank, cause.getMessage());
    for (Op op : ops.values()) {
      op.future.completeExceptionally(cause);
    }
    ops.clear();
    sending.clear();
    early.values().forEach(RingAllReduce::release);
    early.clear();
    if (watchdog != null) {
      watchdog.cancel(false);
    }
    for (Channel link : new Channel[] {prev, next}) {
      if (link != null) {
        abort(link, origin, reason);
      }
    }
  }

  private static void abort(Channel link, int origin, String reason) {
    if (link.isActive()) {
      link.writeAndFlush(FrameCodec.abort(link.alloc(), origin, reason))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  /**
   * Moves a call made off the ring loop onto it and returns true; false when already on it. After
   * close() the loop is gone and the links' last events have nowhere to go: {@code ifClosed} runs.
   */
  private boolean hop(Runnable call, Runnable ifClosed) {
    if (loop.inEventLoop()) {
      return false;
    }
    try {
      loop.execute(call);
    } catch (RejectedExecutionException closed) {
      ifClosed.run();
    }
    return true;
  }

  private RingException stepMismatch(int bucket, long mine, long theirs) {
    return new RingException(String.format(
        "step mismatch on bucket %d: this rank (%d) is at step %d but %s sent step %d",
        bucket, rank, mine, prevName, theirs));
  }

  private static void release(ArrayDeque<Frame> frames) {
    frames.forEach(Frame::release);
    frames.clear();
  }

  /** One bucket's all-reduce in flight; counts the sub-chunks this rank still lacks. */
  private final class Op {
    final long step;
    final int bucket;
    final float[] data;
    final int offset;
    final int length;
    final WireDtype dtype;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    int remaining;
    int sentParts;

    Op(long step, int bucket, float[] data, int offset, int length, WireDtype dtype) {
      this.step = step;
      this.bucket = bucket;
      this.data = data;
      this.offset = offset;
      this.length = length;
      this.dtype = dtype;
      for (int c = 0; c < size; c++) {
        remaining += parts(c);
      }
    }

    int chunkStart(int chunk) {
      return offset + (int) ((long) chunk * length / size);
    }

    int chunkLength(int chunk) {
      return chunkStart(chunk + 1) - chunkStart(chunk);
    }

    int parts(int chunk) {
      return (chunkLength(chunk) + subFloats - 1) / subFloats;
    }

    int partStart(int chunk, int part) {
      return chunkStart(chunk) + part * subFloats;
    }

    int partLength(int chunk, int part) {
      return Math.min(subFloats, chunkLength(chunk) - part * subFloats);
    }
  }
}
