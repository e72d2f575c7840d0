package io.ringtrain.metrics;

import io.ringtrain.proto.tensorboard.Event;
import io.ringtrain.proto.tensorboard.SessionLog;
import io.ringtrain.proto.tensorboard.Summary;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code <run>/tensorboard/}: the run's scalars as TensorBoard event files, which
 * {@code tensorboard --logdir} shows while the run goes.
 *
 * <p>A file is a sequence of TFRecords, each an {@link Event} (tensorboard.proto): a little-endian
 * uint64 length, the masked CRC32C of those 8 bytes, the event's bytes, and their masked CRC32C
 * (the mask rotates the CRC right by 15 bits and adds 0xa282ead8). The first event is
 * {@code file_version "brain.Event:2"}.
 *
 * <p>Callers only queue events; one background thread serializes and writes them and flushes
 * (hflush, so a reader on any Hadoop FileSystem sees them) about {@link #FLUSH_MILLIS} after
 * they were queued at most, so neither the training thread nor the coordinator's event loops wait on the
 * file system, and a watching TensorBoard is a couple of seconds behind at most. A file that cannot
 * be written is reported once on stderr and the run goes on: metrics.jsonl remains its record.
 *
 * <p>A resumed or recovered run must not show a step twice. TensorBoard's Python loader would
 * drop the orphaned steps of a crashed run on a {@code SessionLog START} event, but its default
 * Rust data server does not, so ringtrain does not rely on readers: {@link #open} reads the
 * existing files, keeps the events up to the resume step in a new file and deletes the old ones,
 * as {@link MetricsLog} drops the lines after the checkpoint; {@link #rewind} does the same when a
 * job recovers in flight. The directory then reads as if the run had never stopped.
 */
public final class TensorBoardEvents implements Closeable {
  public static final String DIR = "tensorboard";
  static final String FILE_VERSION = "brain.Event:2";
  static final long FLUSH_MILLIS = 2000;
  private static final int MASK_DELTA = 0xa282ead8;

  private final FileSystem fs;
  private final Path dir;
  private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  /** The file being written; replaced by a rewind, on the writer thread. */
  private FSDataOutputStream out;
  private Path file;
  private volatile boolean failed;
  private volatile boolean closing;

  /** What the writer thread does next, in the order callers asked. */
  private sealed interface Item permits Write, Rewind {}

  private record Write(Event event) implements Item {}

  private record Rewind(long keepThroughStep) implements Item {}

  private TensorBoardEvents(FileSystem fs, Path dir, long keepThroughStep) throws IOException {
    this.fs = fs;
    this.dir = dir;
    keepThrough(keepThroughStep);
    writer = new Thread(this::writeLoop, "tensorboard-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Opens a new event file in {@code <runDir>/tensorboard/}, carrying over the events of earlier
   * files up to step {@code keepThroughStep} (-1 keeps none), and removes the earlier files.
   */
  public static TensorBoardEvents open(FileSystem fs, Path runDir, long keepThroughStep) throws IOException {
    Path dir = new Path(runDir, DIR);
    fs.mkdirs(dir);
    return new TensorBoardEvents(fs, dir, keepThroughStep);
  }

  /**
   * Forgets the events after {@code step}, once those queued before are written: a recovered job
   * repeats those steps, and TensorBoard must show each once.
   */
  public void rewind(long step) {
    if (!failed) queue.add(new Rewind(step));
  }

  /** Starts a new file with the events of the present ones up to {@code keepThroughStep}, and deletes them. */
  private void keepThrough(long keepThroughStep) throws IOException {
    if (out != null) out.close();
    List<Path> old = eventFiles(fs, dir);
    List<byte[]> kept = new ArrayList<>();
    long lastStepOfEarlierFiles = -1;
    for (Path f : old) {
      long last = lastStepOfEarlierFiles;
      for (byte[] record : readRecords(fs, f)) {
        Event e = Event.parseFrom(record);
        // An earlier rewrite left its events in this file too: a later file adds only later steps.
        if (e.hasFileVersion() || e.getStep() > keepThroughStep || e.getStep() <= lastStepOfEarlierFiles) continue;
        kept.add(record);
        last = Math.max(last, e.getStep());
      }
      lastStepOfEarlierFiles = last;
    }
    Path next = new Path(dir, String.format("events.out.tfevents.%010d.%s.%d.ringtrain", System.currentTimeMillis()
        / 1000, host(), ProcessHandle.current().pid()));
    for (int n = 1; fs.exists(next) || old.contains(next); n++) next = next.suffix("." + n);
    out = fs.create(next, false);
    file = next;
    writeRecord(out, Event.newBuilder().setWallTime(now()).setFileVersion(FILE_VERSION).build().toByteArray());
    for (byte[] record : kept) writeRecord(out, record);
    out.hflush();
    for (Path f : old) fs.delete(f, false);
  }

  /** Queues one scalar per entry, all at {@code step}. */
  public void scalars(long step, Map<String, Double> values) {
    Summary.Builder s = Summary.newBuilder();
    for (Map.Entry<String, Double> v : values.entrySet()) {
      s.addValue(Summary.Value.newBuilder().setTag(v.getKey()).setSimpleValue(v.getValue().floatValue()));
    }
    enqueue(Event.newBuilder().setWallTime(now()).setStep(step).setSummary(s).build());
  }

  /** Queues a checkpoint event at {@code step}: TensorBoard's session log, and a scalar to see it by. */
  public void checkpoint(long step, String path) {
    enqueue(Event.newBuilder().setWallTime(now()).setStep(step).setSessionLog(SessionLog.newBuilder()
        .setStatus(SessionLog.SessionStatus.CHECKPOINT).setCheckpointPath(path)).build());
    scalars(step, Map.of("events/checkpoint", 1.0));
  }

  private void enqueue(Event e) {
    if (!failed) queue.add(new Write(e));
  }

  private void writeLoop() {
    long lastFlush = System.currentTimeMillis();
    boolean dirty = false;
    try {
      while (!closing || !queue.isEmpty()) {
        Item item = queue.poll(FLUSH_MILLIS / 4, TimeUnit.MILLISECONDS);
        if (item instanceof Write w) {
          writeRecord(out, w.event().toByteArray());
          dirty = true;
        } else if (item instanceof Rewind r) {
          keepThrough(r.keepThroughStep());
          dirty = false;
          lastFlush = System.currentTimeMillis();
        }
        long now = System.currentTimeMillis();
        if (dirty && (now - lastFlush >= FLUSH_MILLIS || closing)) {
          out.hflush();
          dirty = false;
          lastFlush = now;
        }
      }
      if (dirty) out.hflush();
    } catch (IOException e) {
      // TensorBoard is a view of the run: metrics.jsonl holds every step, so training goes on.
      failed = true;
      queue.clear();
      System.err.println("tensorboard: cannot write " + file + " (" + e.getMessage() + "); the run goes on without"
          + " it, and " + MetricsLog.FILE + " has every step");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() throws IOException {
    closing = true;
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failed) {
      try {
        out.close();
      } catch (IOException alreadyReported) {
        // the writer said why the file is incomplete
      }
    } else {
      out.close();
    }
  }

  /** The event files of a directory, oldest first (their names start with the creation time). */
  public static List<Path> eventFiles(FileSystem fs, Path dir) throws IOException {
    if (!fs.exists(dir)) return List.of();
    List<Path> files = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isFile() && s.getPath().getName().contains("tfevents")) files.add(s.getPath());
    }
    files.sort(null);
    return files;
  }

  /**
   * The records of one file, CRCs checked. A record cut short or failing its CRC ends the file:
   * that is how a writer that was killed mid-record leaves it.
   */
  public static List<byte[]> readRecords(FileSystem fs, Path file) throws IOException {
    List<byte[]> records = new ArrayList<>();
    try (InputStream raw = fs.open(file); DataInputStream in = new DataInputStream(raw)) {
      byte[] header = new byte[12];
      while (true) {
        try {
          in.readFully(header);
        } catch (EOFException end) {
          return records;
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long length = h.getLong(0);
        if (maskedCrc(header, 0, 8) != h.getInt(8) || length < 0 || length > (64 << 20)) return records;
        byte[] data = new byte[(int) length];
        byte[] crc = new byte[4];
        try {
          in.readFully(data);
          in.readFully(crc);
        } catch (EOFException cut) {
          return records;
        }
        if (maskedCrc(data, 0, data.length) != ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
          return records;
        }
        records.add(data);
      }
    }
  }

  private static void writeRecord(OutputStream out, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(16 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(data.length);
    b.putInt(maskedCrc(b.array(), 0, 8));
    b.put(data);
    b.putInt(maskedCrc(data, 0, data.length));
    out.write(b.array());
  }

  static int maskedCrc(byte[] b, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(b, off, len);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "_");
    } catch (IOException e) {
      return "localhost";
    }
  }
}
