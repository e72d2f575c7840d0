package io.ringtrain.checkpoint;

import io.ringtrain.proto.CheckpointFile;
import io.ringtrain.proto.CheckpointManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * to its step: a directory named by a step that holds a manifest is complete. A crash leaves at
 * most a hidden temporary directory, which readers ignore and the next writer removes.
 */
public final class Checkpoints {
  public static final int FORMAT_VERSION = 1;
  public static final String MANIFEST = "manifest.pb";
  private static final String TMP_PREFIX = ".tmp-";

  private Checkpoints() {}

  /** A loaded checkpoint: its manifest and its tensors by name, in the order they were written. */
  public record Loaded(Path dir, CheckpointManifest manifest, Map<String, float[]> tensors) {}

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
      try (OutputStream out = fs.create(new Path(tmp, "manifest.json"), true)) {
        out.write(com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames().print(done)
            .getBytes(StandardCharsets.UTF_8));
      }
      try (FSDataOutputStream out = fs.create(new Path(tmp, MANIFEST), true)) {
        done.writeTo(out);
        out.hsync();
      }
      if (fs.exists(dir)) fs.delete(dir, true); // a rerun of the same step after a resume
      if (!fs.rename(tmp, dir)) throw new IOException("could not rename " + tmp + " to " + dir);
      return dir;
    } catch (IOException | RuntimeException e) {
      fs.delete(tmp, true);
      throw e;
    }
  }

  /** Complete checkpoints of a run, oldest first. */
  public static List<Path> complete(FileSystem fs, Path runDir) throws IOException {
    Path root = checkpointsDir(runDir);
    if (!fs.exists(root)) return List.of();
    List<FileStatus> dirs = new ArrayList<>();
    for (FileStatus s : fs.listStatus(root)) {
      if (s.isDirectory() && s.getPath().getName().matches("\\d+") && fs.exists(new Path(s.getPath(), MANIFEST))) {
        dirs.add(s);
      }
    }
    dirs.sort(Comparator.comparingLong(s -> Long.parseLong(s.getPath().getName())));
    return dirs.stream().map(FileStatus::getPath).toList();
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
    CheckpointManifest manifest;
    try (InputStream in = fs.open(manifestPath)) {
      manifest = CheckpointManifest.parseFrom(in);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new CorruptCheckpointException(manifestPath + " is unreadable: " + e.getMessage());
    }
    if (manifest.getFormatVersion() != FORMAT_VERSION) {
      throw new CorruptCheckpointException(dir + " has checkpoint format " + manifest.getFormatVersion()
          + "; this ringtrain reads format " + FORMAT_VERSION);
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

  /** Deletes all but the newest {@code keepLast} complete checkpoints (0 keeps all). */
  public static void prune(FileSystem fs, Path runDir, int keepLast) throws IOException {
    if (keepLast <= 0) return;
    List<Path> all = complete(fs, runDir);
    for (int i = 0; i < all.size() - keepLast; i++) fs.delete(all.get(i), true);
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
    try (FSDataOutputStream out = fs.create(p, true)) {
      for (int at = 0; at < values.length; at += CHUNK_FLOATS) {
        int n = Math.min(CHUNK_FLOATS, values.length - at);
        buf.clear();
        buf.asFloatBuffer().put(values, at, n);
        sha.update(buf.array(), 0, 4 * n);
        out.write(buf.array(), 0, 4 * n);
      }
      out.hsync();
    }
    return HexFormat.of().formatHex(sha.digest());
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

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
