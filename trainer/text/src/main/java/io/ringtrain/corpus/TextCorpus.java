package io.ringtrain.corpus;

import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * Raw text on any Hadoop FileSystem — a file, a directory tree or a glob, plain or compressed
 * (gzip and every other codec Hadoop knows by extension) — read as documents of bytes. Bytes, not
 * Strings, so that text in any encoding reaches the byte-level tokenizer unchanged.
 */
public final class TextCorpus {
  /** What one document is. */
  public enum Split {
    /** Each non-empty line (the demo corpus has one document per line). */
    LINES,
    /** Each whole file. */
    FILES
  }

  /** Receives documents; {@code bytes[0..length)} is valid only during the call. */
  @FunctionalInterface
  public interface DocumentSink {
    void accept(byte[] bytes, int length) throws IOException;
  }

  private static final int SNIFF_BYTES = 64 * 1024;

  private final FileSystem fs;
  private final List<FileStatus> files;
  private final long totalBytes;
  private final Split split;
  private final CompressionCodecFactory codecs;
  private final AtomicLong bytesRead = new AtomicLong();

  private TextCorpus(FileSystem fs, List<FileStatus> files, Split split, Configuration conf) {
    this.fs = fs;
    this.files = files;
    this.split = split;
    this.codecs = new CompressionCodecFactory(conf);
    this.totalBytes = files.stream().mapToLong(FileStatus::getLen).sum();
  }

  /** Lists the corpus; fails with a message naming the location when there is nothing to read. */
  public static TextCorpus open(String location, Configuration conf, Split split) throws IOException {
    Path path = new Path(location);
    FileSystem fs = path.getFileSystem(conf);
    FileStatus[] matches = fs.globStatus(path);
    if (matches == null || matches.length == 0) {
      throw new FileNotFoundException("input " + location + " does not exist");
    }
    List<FileStatus> files = new ArrayList<>();
    for (FileStatus m : matches) collect(fs, m, files);
    if (files.isEmpty()) {
      throw new FileNotFoundException("input " + location + " holds no files to read");
    }
    return new TextCorpus(fs, files, split, conf);
  }

  private static void collect(FileSystem fs, FileStatus status, List<FileStatus> into) throws IOException {
    String name = status.getPath().getName();
    if (name.startsWith(".") || name.startsWith("_")) return; // hidden, _SUCCESS, .crc
    if (status.isFile()) {
      into.add(status);
      return;
    }
    FileStatus[] children = fs.listStatus(status.getPath());
    Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
    for (FileStatus c : children) collect(fs, c, into);
  }

  public List<Path> files() {
    return files.stream().map(FileStatus::getPath).toList();
  }

  /** Bytes on the filesystem (compressed where the files are). */
  public long totalBytes() {
    return totalBytes;
  }

  /** Filesystem bytes consumed so far by {@link #forEach}; comparable with {@link #totalBytes}. */
  public long bytesRead() {
    return bytesRead.get();
  }

  /** Streams every document of every file, in order. */
  public void forEach(DocumentSink sink) throws IOException {
    forEach(sink, Long.MAX_VALUE);
  }

  /**
   * Streams documents in order until the next one would bring the text delivered past
   * {@code maxTextBytes} (a sample for training a tokenizer, say).
   */
  public void forEach(DocumentSink sink, long maxTextBytes) throws IOException {
    bytesRead.set(0);
    long finished = 0;
    long[] delivered = {0};
    DocumentSink limited = (bytes, length) -> {
      delivered[0] += length;
      if (delivered[0] > maxTextBytes) throw new LimitReached();
      sink.accept(bytes, length);
    };
    for (FileStatus file : files) {
      long base = finished;
      try (InputStream raw = new CountingStream(fs.open(file.getPath()), n -> bytesRead.set(base + n));
           InputStream in = decompress(file.getPath(), raw)) {
        read(file.getPath(), in, limited);
      } catch (LimitReached done) {
        return;
      }
      finished += file.getLen();
      bytesRead.set(finished);
    }
  }

  private InputStream decompress(Path path, InputStream raw) throws IOException {
    CompressionCodec codec = codecs.getCodec(path);
    return codec == null ? raw : codec.createInputStream(raw);
  }

  private void read(Path path, InputStream in, DocumentSink sink) throws IOException {
    byte[] buf = new byte[1 << 16];
    byte[] doc = new byte[1 << 16];
    int docLen = 0;
    long offset = 0;
    boolean sniffed = false;
    int n;
    while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
      if (!sniffed) {
        requireText(path, buf, Math.min(n, SNIFF_BYTES));
        sniffed = true;
      }
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (b == 0) {
          throw new MalformedCorpusException("input " + path + " is not text: NUL byte at offset "
              + (offset + i) + " (tokenize reads text files, plain or compressed)");
        }
        if (b == '\n' && split == Split.LINES) {
          int len = docLen > 0 && doc[docLen - 1] == '\r' ? docLen - 1 : docLen;
          if (len > 0) sink.accept(doc, len);
          docLen = 0;
          continue;
        }
        if (docLen == doc.length) doc = Arrays.copyOf(doc, doc.length * 2);
        doc[docLen++] = b;
      }
      offset += n;
    }
    if (docLen > 0) sink.accept(doc, docLen);
  }

  /** Rejects files that are plainly binary before hours are spent tokenizing them. */
  private static void requireText(Path path, byte[] head, int n) throws MalformedCorpusException {
    int control = 0;
    for (int i = 0; i < n; i++) {
      int b = head[i] & 0xff;
      if (b == 0 || (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f')) control++;
    }
    if (control > n / 20) {
      throw new MalformedCorpusException("input " + path + " is not text: " + control + " of its first "
          + n + " bytes are control characters (is it an archive Hadoop has no codec for?)");
    }
  }

  /** Unwinds the reader once a byte limit is reached; carries no stack trace. */
  private static final class LimitReached extends RuntimeException {
    LimitReached() {
      super(null, null, false, false);
    }
  }

  /** Reports how far the underlying (possibly compressed) file has been consumed. */
  private static final class CountingStream extends FilterInputStream {
    private final java.util.function.LongConsumer onCount;
    private long count;

    CountingStream(InputStream in, java.util.function.LongConsumer onCount) {
      super(in);
      this.onCount = onCount;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) onCount.accept(++count);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) onCount.accept(count += n);
      return n;
    }
  }
}
