package io.ringtrain.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes one llm.c-format shard. Tokens are held in memory until {@link #commit}, because the
 * header carries the count and HDFS files cannot be rewritten; the file is then written under a
 * temporary name and renamed, so a reader never sees half a shard.
 */
public final class TokenShardWriter {
  private final FileSystem fs;
  private final Path path;
  private byte[] tokens = new byte[1 << 16];
  private int count;

  public TokenShardWriter(FileSystem fs, Path path) {
    this.fs = fs;
    this.path = path;
  }

  public void add(int token) {
    if (token < 0 || token > 0xffff) {
      throw new IllegalArgumentException("token id " + token + " does not fit a uint16 shard");
    }
    if (2 * count + 2 > tokens.length) {
      byte[] grown = new byte[(int) Math.min(Integer.MAX_VALUE - 8, 2L * tokens.length)];
      if (grown.length <= tokens.length) throw new IllegalStateException(path + ": shard too large");
      System.arraycopy(tokens, 0, grown, 0, 2 * count);
      tokens = grown;
    }
    tokens[2 * count] = (byte) token;
    tokens[2 * count + 1] = (byte) (token >>> 8);
    count++;
  }

  public int count() {
    return count;
  }

  public Path path() {
    return path;
  }

  /** Writes the shard atomically: temporary file, then rename over the final name. */
  public void commit() throws IOException {
    Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp");
    ByteBuffer header = ByteBuffer.allocate(TokenShard.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(0, TokenShard.MAGIC).putInt(4, TokenShard.VERSION).putInt(8, count);
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(header.array());
      out.write(tokens, 0, 2 * count);
    }
    if (fs.exists(path)) fs.delete(path, false);
    if (!fs.rename(tmp, path)) {
      throw new IOException("could not rename " + tmp + " to " + path);
    }
  }
}
