package io.ringtrain.tokenizer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * The pre-token counts of one slice of a training text, made apart from the other slices (on
 * another machine, say) and merged with them, in text order, into exactly the counts of the whole:
 * {@link #train} gives the merges {@link BpeTrainer#train(byte[], int)} gives on the concatenated
 * text.
 *
 * <p>A pre-token may span the border of two slices, so a slice counts only what lies between its
 * first and last safe cut (where {@link PreTokenizer} splits the same whatever surrounds it) and
 * keeps the bytes before and after; {@link #train} splits each border's bytes, joined, on their own.
 */
public final class PieceCounts {
  private final PieceCounter inner;
  /** The slice's bytes before its first safe cut: all of them when it has none. */
  private final byte[] head;
  /** The bytes after its last safe cut; empty when it has none. */
  private final byte[] tail;
  private final boolean cut;

  private PieceCounts(PieceCounter inner, byte[] head, byte[] tail, boolean cut) {
    this.inner = inner;
    this.head = head;
    this.tail = tail;
    this.cut = cut;
  }

  /** Counts the slice {@code text[0, length)}. */
  public static PieceCounts ofSlice(byte[] text, int length) {
    int first = PreTokenizer.firstSafeCut(text, 0, length);
    if (first < 0) {
      return new PieceCounts(new PieceCounter(), Arrays.copyOf(text, length), new byte[0], false);
    }
    int last = PreTokenizer.lastSafeCut(text, 0, length);
    PieceCounter inner = first < last ? BpeTrainer.count(text, first, last) : new PieceCounter();
    return new PieceCounts(inner, Arrays.copyOf(text, first), Arrays.copyOfRange(text, last, length), true);
  }

  /** Text bytes this slice covers. */
  public long textBytes() {
    long bytes = head.length + tail.length;
    for (int e = 0; e < inner.size(); e++) bytes += inner.length(e) * inner.count(e);
    return bytes;
  }

  /**
   * Trains on the concatenation of the slices {@code inTextOrder}.
   *
   * @throws IllegalArgumentException if {@code vocabSize} is outside 257..65,535 or the slices hold
   *     no text
   */
  public static ByteLevelBpe train(List<PieceCounts> inTextOrder, int vocabSize) {
    BpeTrainer.checkVocabSize(vocabSize);
    PieceCounter total = new PieceCounter();
    ByteArrayOutputStream border = new ByteArrayOutputStream();
    long bytes = 0;
    for (PieceCounts slice : inTextOrder) {
      bytes += slice.textBytes();
      border.writeBytes(slice.head);
      if (slice.cut) {
        countBorder(border, total);
        total.addAll(slice.inner);
        border.writeBytes(slice.tail);
      }
    }
    countBorder(border, total);
    if (bytes == 0) throw new IllegalArgumentException("cannot train a BPE vocabulary on an empty corpus");
    return BpeTrainer.merge(total, vocabSize);
  }

  private static void countBorder(ByteArrayOutputStream border, PieceCounter into) {
    if (border.size() > 0) into.addText(border.toByteArray(), 0, border.size());
    border.reset();
  }

  /** A compact form to ship between machines; {@link #fromBytes} reads it back. */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeBoolean(cut);
      writeArray(out, head);
      writeArray(out, tail);
      out.writeInt(inner.size());
      for (int e = 0; e < inner.size(); e++) {
        out.writeLong(inner.count(e));
        out.writeShort(inner.length(e));
        for (int k = 0; k < inner.length(e); k++) out.writeByte(inner.byteAt(e, k));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return bytes.toByteArray();
  }

  public static PieceCounts fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      boolean cut = in.readBoolean();
      byte[] head = readArray(in);
      byte[] tail = readArray(in);
      PieceCounter inner = new PieceCounter();
      int size = in.readInt();
      byte[] piece = new byte[PreTokenizer.MAX_PIECE * 4];
      for (int e = 0; e < size; e++) {
        long count = in.readLong();
        int length = in.readUnsignedShort();
        if (length > piece.length) piece = new byte[length];
        in.readFully(piece, 0, length);
        inner.add(piece, 0, length, count);
      }
      return new PieceCounts(inner, head, tail, cut);
    } catch (IOException e) {
      throw new IllegalArgumentException("not the bytes of PieceCounts.toBytes: " + e.getMessage(), e);
    }
  }

  private static void writeArray(DataOutputStream out, byte[] a) throws IOException {
    out.writeInt(a.length);
    out.write(a);
  }

  private static byte[] readArray(DataInputStream in) throws IOException {
    byte[] a = new byte[in.readInt()];
    in.readFully(a);
    return a;
  }
}
