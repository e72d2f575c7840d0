package io.ringtrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardTest {
  @TempDir java.nio.file.Path dir;
  final FileSystem fs = localFs();

  static FileSystem localFs() {
    try {
      return FileSystem.getLocal(new Configuration()).getRawFileSystem();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  int[] randomTokens(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) t[i] = r.nextInt(65_536);
    return t;
  }

  Path write(String name, int[] tokens) throws IOException {
    Path p = new Path(dir.resolve(name).toString());
    TokenShardWriter w = new TokenShardWriter(fs, p);
    for (int t : tokens) w.add(t);
    w.commit();
    return p;
  }

  @Test
  void writesTheLlmcHeaderByteForByte() throws IOException {
    Path p = write("a.bin", new int[] {1, 2, 65_535});
    byte[] raw = Files.readAllBytes(dir.resolve("a.bin"));
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1024 + 6, raw.length);
    assertEquals(20240520, b.getInt(0));
    assertEquals(1, b.getInt(4));
    assertEquals(3, b.getInt(8));
    assertEquals(65_535, Short.toUnsignedInt(b.getShort(1024 + 4)));
    assertFalse(Files.exists(dir.resolve(".a.bin.tmp")), "temporary file left behind");
  }

  @Test
  void positionedReadsReturnAnySlice() throws IOException {
    int[] tokens = randomTokens(10_000, 1);
    try (TokenShard s = TokenShard.open(fs, write("b.bin", tokens))) {
      assertEquals(TokenShard.Format.LLMC, s.format());
      assertEquals(10_000, s.tokens());
      int[] got = new int[777];
      s.read(4321, 777, got, 0);
      assertArrayEquals(Arrays.copyOfRange(tokens, 4321, 4321 + 777), got);
      assertThrows(IOException.class, () -> s.read(9_999, 2, got, 0));
    }
  }

  @Test
  void readsNanoGptHeaderlessShards() throws IOException {
    int[] tokens = randomTokens(301, 2);
    ByteBuffer b = ByteBuffer.allocate(tokens.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int t : tokens) b.putShort((short) t);
    Files.write(dir.resolve("nano.bin"), b.array());
    try (TokenShard s = TokenShard.open(fs, new Path(dir.resolve("nano.bin").toString()))) {
      assertEquals(TokenShard.Format.NANOGPT, s.format());
      int[] got = new int[301];
      s.read(0, 301, got, 0);
      assertArrayEquals(tokens, got);
    }
  }

  @Test
  void truncatedShardIsNamedAsTruncated() throws IOException {
    write("t.bin", randomTokens(1000, 3));
    try (FileChannel c = FileChannel.open(dir.resolve("t.bin"), StandardOpenOption.WRITE)) {
      c.truncate(1024 + 1000);
    }
    MalformedShardException e = assertThrows(MalformedShardException.class,
        () -> TokenShard.open(fs, new Path(dir.resolve("t.bin").toString())));
    assertTrue(e.getMessage().contains("declares 1000 tokens") && e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void llmcShardWithDamagedMagicIsNamedNotReadAsNanoGpt() throws IOException {
    write("m.bin", randomTokens(1000, 4));
    try (FileChannel c = FileChannel.open(dir.resolve("m.bin"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.allocate(4), 0); // magic overwritten; version and count intact
    }
    MalformedShardException e = assertThrows(MalformedShardException.class,
        () -> TokenShard.open(fs, new Path(dir.resolve("m.bin").toString())));
    assertTrue(e.getMessage().contains("damaged magic") && e.getMessage().contains("1000 tokens"), e.getMessage());
  }

  @Test
  void llmcShardCutInsideItsHeaderIsNamedAsTruncated() throws IOException {
    write("h.bin", randomTokens(1000, 5));
    try (FileChannel c = FileChannel.open(dir.resolve("h.bin"), StandardOpenOption.WRITE)) {
      c.truncate(600);
    }
    MalformedShardException e = assertThrows(MalformedShardException.class,
        () -> TokenShard.open(fs, new Path(dir.resolve("h.bin").toString())));
    assertTrue(e.getMessage().contains("cut inside its 1024-byte header"), e.getMessage());
  }

  @Test
  void oddLengthFileIsNotAShard() throws IOException {
    Files.write(dir.resolve("odd.bin"), new byte[] {1, 2, 3});
    MalformedShardException e = assertThrows(MalformedShardException.class,
        () -> TokenShard.open(fs, new Path(dir.resolve("odd.bin").toString())));
    assertTrue(e.getMessage().contains("not a token shard"), e.getMessage());
  }

  @Test
  void shardSetReadsAcrossShardBoundaries() throws IOException {
    int[] a = randomTokens(100, 4);
    int[] b = randomTokens(50, 5);
    java.nio.file.Files.createDirectories(dir.resolve("set"));
    write("set/train_000000.bin", a);
    write("set/train_000001.bin", b);
    try (ShardSet set = ShardSet.open(dir.resolve("set").toString(), new Configuration())) {
      assertEquals(150, set.tokens());
      int[] got = new int[20];
      set.read(90, 20, got, 0);
      int[] want = new int[20];
      System.arraycopy(a, 90, want, 0, 10);
      System.arraycopy(b, 0, want, 10, 10);
      assertArrayEquals(want, got);
      assertEquals(Math.max(Arrays.stream(a).max().getAsInt(), Arrays.stream(b).max().getAsInt()), set.maxToken());
    }
    assertThrows(java.io.FileNotFoundException.class,
        () -> ShardSet.open(dir.resolve("missing").toString(), new Configuration()));
  }
}
