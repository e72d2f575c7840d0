package io.ringtrain.data;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Token shards read as one stream: a single shard, every {@code .bin} of a directory (sorted by
 * name), or a glob. Reads may cross shard boundaries.
 */
public final class ShardSet implements Closeable {
  private final List<TokenShard> shards;
  private final long[] starts;
  private final long tokens;

  private ShardSet(List<TokenShard> shards) {
    this.shards = shards;
    this.starts = new long[shards.size() + 1];
    for (int i = 0; i < shards.size(); i++) starts[i + 1] = starts[i] + shards.get(i).tokens();
    this.tokens = starts[shards.size()];
  }

  /** Opens the shards named by {@code location} (a file, a directory or a glob; any FS URI). */
  public static ShardSet open(String location, Configuration conf) throws IOException {
    Path path = new Path(location);
    FileSystem fs = path.getFileSystem(conf);
    List<Path> files = new ArrayList<>();
    FileStatus[] matches = fs.globStatus(path);
    if (matches == null || matches.length == 0) {
      throw new FileNotFoundException("no token shards at " + location
          + ": run `ringtrain tokenize` first or check the path");
    }
    for (FileStatus match : matches) {
      if (match.isDirectory()) {
        FileStatus[] inDir = fs.listStatus(match.getPath(), p -> p.getName().endsWith(".bin")
            && !p.getName().startsWith("."));
        Arrays.sort(inDir, Comparator.comparing(s -> s.getPath().getName()));
        for (FileStatus s : inDir) files.add(s.getPath());
      } else {
        files.add(match.getPath());
      }
    }
    if (files.isEmpty()) {
      throw new FileNotFoundException("no .bin token shards in " + location);
    }
    List<TokenShard> opened = new ArrayList<>();
    try {
      for (Path f : files) opened.add(TokenShard.open(fs, f));
    } catch (IOException | RuntimeException e) {
      for (TokenShard s : opened) s.close();
      throw e;
    }
    return new ShardSet(opened);
  }

  public long tokens() {
    return tokens;
  }

  public List<TokenShard> shards() {
    return shards;
  }

  /** Reads {@code count} tokens from global token offset {@code offset}, across shards. */
  public void read(long offset, int count, int[] dst, int dstOffset) throws IOException {
    int shard = Arrays.binarySearch(starts, offset);
    if (shard < 0) shard = -shard - 2;
    while (count > 0) {
      while (shard < shards.size() && offset >= starts[shard + 1]) shard++;
      if (shard >= shards.size()) {
        throw new IOException("token " + offset + " is past the end of the shards (" + tokens + " tokens)");
      }
      long inShard = offset - starts[shard];
      int n = (int) Math.min(count, shards.get(shard).tokens() - inShard);
      shards.get(shard).read(inShard, n, dst, dstOffset);
      offset += n;
      dstOffset += n;
      count -= n;
    }
  }

  /** Largest token id in the shards; scans them all, so call it once per job, not per step. */
  public int maxToken() throws IOException {
    int max = -1;
    int[] buf = new int[1 << 16];
    for (long at = 0; at < tokens; at += buf.length) {
      int n = (int) Math.min(buf.length, tokens - at);
      read(at, n, buf, 0);
      for (int i = 0; i < n; i++) max = Math.max(max, buf[i]);
    }
    return max;
  }

  @Override
  public void close() throws IOException {
    for (TokenShard s : shards) s.close();
  }
}
