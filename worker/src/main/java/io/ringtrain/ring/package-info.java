/**
 * The ring all-reduce over Netty: sums float regions across N worker JVMs.
 *
 * <p><b>Shape.</b> Rank r listens for exactly one authenticated connection, from rank r-1, and
 * connects to rank r+1 ({@link io.ringtrain.ring.RingPeer}). It listens before it knows r, so the
 * port it announces is never free for another process to take. Data flows one way round the ring;
 * the reverse direction of each link only ever carries abort and goodbye frames.
 *
 * <p><b>Algorithm</b> ({@link io.ringtrain.ring.RingAllReduce}). Reduce-scatter then all-gather,
 * so each rank sends 2(N-1)/N of the buffer. Chunk c = [c·len/N, (c+1)·len/N) is cut into
 * sub-chunks (128 KiB by default) that flow independently and event-driven: no step barriers, so
 * sending, receiving and summing overlap, also across buckets. Each element of chunk c is summed
 * in ring order starting at rank c and the all-gather copies that one value everywhere: results
 * are bit-identical on every rank and every run. A rank's own chunk is sent through a window (the
 * next link's write-buffer water marks); forwarded frames are never held back.
 *
 * <p><b>Wire</b> ({@link io.ringtrain.ring.FrameCodec}). Handshake first, mutual
 * ({@link io.ringtrain.ring.HmacHandshake}): a nonce from the listener; the dialer's rank, its wire
 * dtype, its own nonce and its HMAC-SHA256 over both nonces, both ranks, its dtype and the job id;
 * the listener's dtype and HMAC over the same with the other role. Ranks with different wire
 * dtypes fail to connect, both naming the two settings. Then frames: a fixed 32-byte
 * little-endian header (magic, step, bucket, phase, dtype, chunk, part, count) and count
 * little-endian fp32 or bf16 values. Frames over the configured sub-chunk size, with a bad magic,
 * an unknown phase or dtype fail the ring with a message naming the peer.
 *
 * <p><b>Precision</b> ({@link io.ringtrain.ring.WireDtype}). fp32 by default. With bf16 every
 * value a rank sends is rounded to nearest even, sums are formed in fp32, and the last hop keeps
 * the rounded sum it sends: half the bytes, still bit-identical on every rank and run. An fp32
 * all-reduce stays available on a bf16 ring, for values that must be exact.
 *
 * <p><b>Failure.</b> A failure (peer disconnected, stalled for {@code timeoutMs} with work
 * pending, garbled frame, step or size mismatch) fails every pending future with a
 * {@link io.ringtrain.ring.RingException}, is sticky (later calls fail at once), and is sent as an
 * abort frame both ways round the ring so every rank stops within a bounded time. A rank that
 * closes with nothing pending sends goodbye instead, so neighbours finishing their last operation
 * are not failed; the rank that still needs its frames fails and aborts the rest.
 *
 * <p><b>Threads.</b> Per peer one event-loop group of two NIO loops, created once: one reads from
 * rank-1 and owns all all-reduce state (no locks), one writes to rank+1. Each flush of the next
 * link is a task on the writing loop, often a wake-up (a syscall on both threads), so frames go out
 * in batches of about 512 KiB and at the end of each read, not one flush per frame.
 *
 * <p><b>JDKs.</b> The sums use only the Vector API calls on Java arrays ({@code fromArray},
 * {@code intoArray}), which every JDK from 17 to 25 has: payloads pass through a small per-loop
 * block by bulk copies, since the incubator's ByteBuffer loads of JDK 17 are gone from 19 on.
 */
package io.ringtrain.ring;
