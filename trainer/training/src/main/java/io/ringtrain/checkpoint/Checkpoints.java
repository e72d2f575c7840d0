package io.ringtrain.checkpoint;

import io.ringtrain.proto.CheckpointFile;
import com.google.protobuf.ByteString;
import io.ringtrain.proto.CheckpointManifest;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.proto.SealedManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints on any Hadoop FileSystem: {@code <run>/checkpoints/<step>/} holds one raw
 * little-endian float32 file per tensor and {@code manifest.pb} (with a JSON copy for people),
 * which lists every file's size and SHA-256.
 *
 * <p>A checkpoint is written inside a hidden temporary directory, manifest last, and then renamed
 * to its step (a directory rename is atomic on local disks and on HDFS): a directory named by a
 * step that holds a manifest is complete. A crash leaves at most a hidden temporary directory,
 * which readers ignore and the next writer removes. The manifest is sealed with its own SHA-256,
 * and {@link #load} checks it, every tensor, and that the step inside matches the directory's name;
 * {@link #newestIntact} also refuses a checkpoint of another run or another model.
 */
public final class Checkpoints {
  public static final int FORMAT_VERSION = 2;
  public static final String MANIFEST = "manifest.pb";
  private static final String TMP_PREFIX = ".tmp-";

  private Checkpoints() {}

  /** A loaded checkpoint: its manifest and its tensors by name, in the order they were written. */
  public record Loaded(Path dir, CheckpointManifest manifest, Map<String, float[]> tensors) {
    /** Its directory and manifest alone: for a process that only names the checkpoint to the workers that read it. */
    public Loaded withoutTensors() {
      return new Loaded(dir, manifest, Map.of());
    }
  }

  public static Path checkpointsDir(Path runDir) {
    return new Path(runDir, "checkpoints");
  }

  /** Writes tensors and the manifest for {@code manifest.getStep()}; returns the committed dir. */
  public static Path write(FileSystem fs, Path runDir, CheckpointManifest manifest, Map<String, float[]> tensors)
      throws IOException {
    Path root = checkpointsDir(runDir);
    fs.mkdirs(root);
    removeAbandoned(fs, root);
    Path tmp = new Path(root, TMP_PREFIX + manifest.getStep() + "-" + UUID.randomUUID());
    Path dir = new Path(root, Long.toString(manifest.getStep()));
    CheckpointManifest.Builder m = manifest.toBuilder().clearFiles().setFormatVersion(FORMAT_VERSION)
        .setCreatedUnixMs(System.currentTimeMillis());
    try {
      fs.mkdirs(tmp);
      for (Map.Entry<String, float[]> t : tensors.entrySet()) {
        String file = t.getKey() + ".f32";
        String sha = writeFloats(fs, new Path(tmp, file), t.getValue());
        m.addFiles(CheckpointFile.newBuilder().setName(file).setBytes(4L * t.getValue().length).setSha256(sha));
      }
      CheckpointManifest done = m.build();
      byte[] json = com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames().print(done)
          .getBytes(StandardCharsets.UTF_8);
      writeFile(fs, new Path(tmp, "manifest.json"), out -> out.write(json));
      byte[] bytes = done.toByteArray();
      writeFile(fs, new Path(tmp, MANIFEST), out -> SealedManifest.newBuilder().setManifest(ByteString.copyFrom(bytes))
          .setSha256(sha256Hex(bytes)).build().writeTo(out));
      if (fs.exists(dir)) fs.delete(dir, true); // a rerun of the same step after a resume
      if (!fs.rename(tmp, dir)) throw new IOException("could not rename " + tmp + " to " + dir);
      return dir;
    } catch (IOException | RuntimeException e) {
      fs.delete(tmp, true);
      throw e;
    }
  }

  /**
   * Every directory of a run named by a step, oldest first, complete or not: a committed checkpoint
   * whose manifest was lost since is one of them, and {@link #load} says what is wrong with it.
   */
  public static List<Path> numbered(FileSystem fs, Path runDir) throws IOException {
    Path root = checkpointsDir(runDir);
    if (!fs.exists(root)) return List.of();
    List<FileStatus> dirs = new ArrayList<>();
    for (FileStatus s : fs.listStatus(root)) {
      if (s.isDirectory() && s.getPath().getName().matches("\\d+")) dirs.add(s);
    }
    dirs.sort(Comparator.comparingLong(s -> Long.parseLong(s.getPath().getName())));
    return dirs.stream().map(FileStatus::getPath).toList();
  }

  /** Complete checkpoints of a run (those with a manifest), oldest first; unverified. */
  public static List<Path> complete(FileSystem fs, Path runDir) throws IOException {
    List<Path> all = new ArrayList<>();
    for (Path p : numbered(fs, runDir)) {
      if (fs.exists(new Path(p, MANIFEST))) all.add(p);
    }
    return all;
  }

  /**
   * The newest checkpoint of a run that verifies and belongs to it: the same run id (when the run
   * has one) and the same model shape as {@code run}. Each one passed over is named, with why, to
   * {@code skipped}; none at all gives an empty result.
   */
  public static Optional<Loaded> newestIntact(FileSystem fs, Path runDir, JobSpec run, Consumer<String> skipped)
      throws IOException {
    return newestIntact(fs, runDir, run, Long.MAX_VALUE, skipped);
  }

  /** As {@link #newestIntact(FileSystem, Path, JobSpec, Consumer)}, of the steps up to {@code atMostStep}. */
  public static Optional<Loaded> newestIntact(FileSystem fs, Path runDir, JobSpec run, long atMostStep,
      Consumer<String> skipped) throws IOException {
    List<Path> all = numbered(fs, runDir).stream().filter(p -> Long.parseLong(p.getName()) <= atMostStep).toList();
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        return Optional.of(loadFor(fs, all.get(i), run));
      } catch (CorruptCheckpointException e) {
        skipped.accept(e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** {@link #load}, then refuses a checkpoint written by another run or for another model. */
  public static Loaded loadFor(FileSystem fs, Path dir, JobSpec run) throws IOException {
    Loaded c = load(fs, dir);
    CheckpointManifest m = c.manifest();
    if (!sameShape(m.getSpec().getModel(), run.getModel())) {
      throw new CorruptCheckpointException(dir + " holds a model of shape " + shape(m.getSpec().getModel())
          + " but this run's model is " + shape(run.getModel()) + ": it belongs to another run");
    }
    if (!run.getRunId().isEmpty() && !m.getRunId().equals(run.getRunId())) {
      throw new CorruptCheckpointException(dir + " belongs to another run (run id " + describeRunId(m.getRunId())
          + ", this run is " + run.getRunId() + "): it was copied here; remove it or resume its own run");
    }
    return c;
  }

  private static String describeRunId(String id) {
    return id.isEmpty() ? "none" : id;
  }

  /** Two model specs store the same tensors. */
  public static boolean sameShape(ModelSpec a, ModelSpec b) {
    return a.getNLayer() == b.getNLayer() && a.getNHead() == b.getNHead() && a.getNEmbd() == b.getNEmbd()
        && a.getBlockSize() == b.getBlockSize() && a.getVocabSize() == b.getVocabSize()
        && a.getVocabPadMultiple() == b.getVocabPadMultiple();
  }

  public static String shape(ModelSpec m) {
    return "n_layer=" + m.getNLayer() + " n_head=" + m.getNHead() + " n_embd=" + m.getNEmbd() + " block_size="
        + m.getBlockSize() + " vocab_size=" + m.getVocabSize();
  }

  public static Optional<Path> latest(FileSystem fs, Path runDir) throws IOException {
    List<Path> all = complete(fs, runDir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Reads and verifies a checkpoint; a size or checksum mismatch names the file. */
  public static Loaded load(FileSystem fs, Path dir) throws IOException {
    Path manifestPath = new Path(dir, MANIFEST);
    if (!fs.exists(manifestPath)) {
      throw new CorruptCheckpointException(dir + " is not a complete checkpoint (no " + MANIFEST
          + "); use a directory under <run>/checkpoints/ or `ringtrain resume <run dir>`");
    }
    CheckpointManifest manifest = readManifest(fs, manifestPath);
    if (manifest.getFormatVersion() != FORMAT_VERSION) {
      throw new CorruptCheckpointException(dir + " has checkpoint format " + manifest.getFormatVersion()
          + "; this ringtrain reads format " + FORMAT_VERSION);
    }
    if (!dir.getName().equals(Long.toString(manifest.getStep()))) {
      throw new CorruptCheckpointException(dir + " holds the checkpoint of step " + manifest.getStep()
          + ", not of step " + dir.getName() + ": it was copied or renamed; it is not this step's state");
    }
    Map<String, float[]> tensors = new LinkedHashMap<>();
    for (CheckpointFile f : manifest.getFilesList()) {
      Path p = new Path(dir, f.getName());
      long len = fs.exists(p) ? fs.getFileStatus(p).getLen() : -1;
      if (len != f.getBytes()) {
        throw new CorruptCheckpointException(p + " has " + (len < 0 ? "gone missing" : len + " bytes")
            + " but the manifest says " + f.getBytes() + ": the checkpoint is damaged; resume from an earlier one");
      }
      float[] values = new float[(int) (f.getBytes() / 4)];
      String sha = readFloats(fs, p, values);
      if (!sha.equals(f.getSha256())) {
        throw new CorruptCheckpointException(p + " fails its SHA-256 check: the checkpoint is damaged;"
            + " resume from an earlier one");
      }
      tensors.put(f.getName().substring(0, f.getName().length() - ".f32".length()), values);
    }
    return new Loaded(dir, manifest, tensors);
  }

  private static CheckpointManifest readManifest(FileSystem fs, Path manifestPath) throws IOException {
    try (InputStream in = fs.open(manifestPath)) {
      SealedManifest sealed = SealedManifest.parseFrom(in);
      byte[] bytes = sealed.getManifest().toByteArray();
      if (!sha256Hex(bytes).equals(sealed.getSha256())) {
        throw new CorruptCheckpointException(manifestPath + " fails its SHA-256 check (the manifest itself was"
            + " changed or damaged): the checkpoint is damaged; resume from an earlier one");
      }
      return CheckpointManifest.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new CorruptCheckpointException(manifestPath + " is unreadable: " + e.getMessage());
    }
  }

  /**
   * Deletes all but the newest {@code keepLast} safety checkpoints (0 keeps all); planned ones are
   * always kept, and so is any whose manifest cannot be read (it is not this method's to judge).
   */
  public static void prune(FileSystem fs, Path runDir, int keepLast) throws IOException {
    if (keepLast <= 0) return;
    List<Path> safety = new ArrayList<>();
    for (Path p : complete(fs, runDir)) {
      try {
        if (!readManifest(fs, new Path(p, MANIFEST)).getPlanned()) safety.add(p);
      } catch (CorruptCheckpointException unreadable) {
        // left for resume to report
      }
    }
    for (int i = 0; i < safety.size() - keepLast; i++) fs.delete(safety.get(i), true);
  }

  private static void removeAbandoned(FileSystem fs, Path root) throws IOException {
    for (FileStatus s : fs.listStatus(root)) {
      if (s.getPath().getName().startsWith(TMP_PREFIX)) fs.delete(s.getPath(), true);
    }
  }

  private static final int CHUNK_FLOATS = 1 << 16;

  private static String writeFloats(FileSystem fs, Path p, float[] values) throws IOException {
    MessageDigest sha = sha256();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    writeFile(fs, p, out -> {
      for (int at = 0; at < values.length; at += CHUNK_FLOATS) {
        int n = Math.min(CHUNK_FLOATS, values.length - at);
        buf.clear();
        buf.asFloatBuffer().put(values, at, n);
        sha.update(buf.array(), 0, 4 * n);
        out.write(buf.array(), 0, 4 * n);
      }
    });
    return HexFormat.of().formatHex(sha.digest());
  }

  private interface Body {
    void write(FSDataOutputStream out) throws IOException;
  }

  /**
   * Writes and syncs one file. Not try-with-resources: a stream that failed (a full disk, an HDFS
   * quota) throws the same exception again from close(), and self-suppression would replace the
   * cause with an IllegalArgumentException.
   */
  private static void writeFile(FileSystem fs, Path p, Body body) throws IOException {
    FSDataOutputStream out = fs.create(p, true);
    try {
      body.write(out);
      out.hsync();
    } catch (IOException | RuntimeException e) {
      try {
        out.close();
      } catch (IOException | RuntimeException again) {
        if (again != e) e.addSuppressed(again);
      }
      throw e;
    }
    out.close();
  }

  private static String readFloats(FileSystem fs, Path p, float[] values) throws IOException {
    MessageDigest sha = sha256();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    try (InputStream in = fs.open(p)) {
      for (int at = 0; at < values.length; at += CHUNK_FLOATS) {
        int n = Math.min(CHUNK_FLOATS, values.length - at);
        in.readNBytes(buf.array(), 0, 4 * n);
        sha.update(buf.array(), 0, 4 * n);
        buf.clear();
        buf.asFloatBuffer().get(values, at, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
