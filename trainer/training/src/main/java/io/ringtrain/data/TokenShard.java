package io.ringtrain.data;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One token shard on any Hadoop FileSystem, read with positioned reads so that a worker reads
 * only its slice. Two formats: llm.c's (a 256-int32 little-endian header — magic 20240520,
 * version 1, token count — then uint16 tokens) and nanoGPT's headerless uint16 {@code .bin}.
 *
 * <p>Not thread-safe: it reuses one byte buffer so reads make no garbage; give each reader its own.
 */
public final class TokenShard implements Closeable {
  public static final int MAGIC = 20240520;
  public static final int VERSION = 1;
  public static final int HEADER_INTS = 256;
  public static final int HEADER_BYTES = HEADER_INTS * Integer.BYTES;

  /** How the shard stores its tokens. */
  public enum Format {
    LLMC,
    NANOGPT
  }

  private final Path path;
  private final FSDataInputStream in;
  private final Format format;
  private final long tokens;
  private final long dataStart;
  private byte[] scratch = new byte[0];

  private TokenShard(Path path, FSDataInputStream in, Format format, long tokens, long dataStart) {
    this.path = path;
    this.in = in;
    this.format = format;
    this.tokens = tokens;
    this.dataStart = dataStart;
  }

  /** Opens and checks a shard: a header that disagrees with the file's length is an error. */
  public static TokenShard open(FileSystem fs, Path path) throws IOException {
    long length = fs.getFileStatus(path).getLen();
    FSDataInputStream in = fs.open(path);
    try {
      byte[] header = new byte[(int) Math.min(length, HEADER_BYTES)];
      in.readFully(0, header);
      ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      if (length >= Integer.BYTES && length < HEADER_BYTES && h.getInt(0) == MAGIC) {
        throw new MalformedShardException(path + ": llm.c shard cut inside its " + HEADER_BYTES
            + "-byte header (" + length + " bytes): re-run tokenize or re-copy the shard");
      }
      if (length >= HEADER_BYTES) {
        long held = (length - HEADER_BYTES) / Character.BYTES;
        // A headerless nanoGPT file whose tokens 2..5 spell version 1 and this file's exact token
        // count is not credible: it is an llm.c shard whose magic was overwritten.
        if (h.getInt(0) != MAGIC && h.getInt(4) == VERSION && Integer.toUnsignedLong(h.getInt(8)) == held
            && (length - HEADER_BYTES) % Character.BYTES == 0) {
          throw new MalformedShardException(path + ": llm.c shard with a damaged magic (bytes 0-3 are "
              + h.getInt(0) + ", not " + MAGIC + "; version 1 and " + held + " tokens intact): re-run"
              + " tokenize or re-copy the shard");
        }
        if (h.getInt(0) == MAGIC) {
          int version = h.getInt(4);
          if (version != VERSION) {
            throw new MalformedShardException(path + ": llm.c shard version " + version
                + " is not supported (only version 1, uint16 tokens)");
          }
          long declared = Integer.toUnsignedLong(h.getInt(8));
          if (held != declared || (length - HEADER_BYTES) % Character.BYTES != 0) {
            throw new MalformedShardException(path + ": header declares " + declared
                + " tokens but the file holds " + (length - HEADER_BYTES) + " bytes of tokens"
                + (held < declared ? " (truncated: re-run tokenize or re-copy the shard)" : ""));
          }
          return new TokenShard(path, in, Format.LLMC, declared, HEADER_BYTES);
        }
      }
      if (length % Character.BYTES != 0) {
        throw new MalformedShardException(path + ": not a token shard (no llm.c header, and "
            + length + " bytes is not a whole number of uint16 tokens)");
      }
      return new TokenShard(path, in, Format.NANOGPT, length / Character.BYTES, 0);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  public Format format() {
    return format;
  }

  public long tokens() {
    return tokens;
  }

  /**
   * Reads {@code count} tokens starting at token {@code offset} into {@code dst[dstOffset..]}.
   * Safe from several threads (loaders of several ranks, each reading ahead, may share a shard).
   */
  public synchronized void read(long offset, int count, int[] dst, int dstOffset) throws IOException {
    if (offset < 0 || count < 0 || offset + count > tokens) {
      throw new EOFException(path + ": tokens [" + offset + ", " + (offset + count)
          + ") are outside the shard's " + tokens + " tokens");
    }
    int bytes = count * Character.BYTES;
    if (scratch.length < bytes) scratch = new byte[bytes];
    in.readFully(dataStart + offset * Character.BYTES, scratch, 0, bytes);
    for (int i = 0; i < count; i++) {
      dst[dstOffset + i] = (scratch[2 * i] & 0xff) | (scratch[2 * i + 1] & 0xff) << 8;
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
