package io.ringtrain.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision GEMM, C (M x N) = op(A) (M x K) . op(B) (K x N), optionally added to C, in the
 * GotoBLAS shape: B is packed in KC x NC blocks of NR-column panels, A in MC x KC blocks of
 * MR-row panels, and a register-blocked micro-kernel computes an MR x NR tile (12 rows x 2
 * vectors: 24 accumulators, one broadcast of A against two loads of B per k).
 *
 * <p>Threads split the larger of M and N into whole panels and never share an output element;
 * every element is summed over k in increasing order, a k-block at a time, so the result does not
 * depend on the thread count at all.
 */
final class Sgemm {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  static final int MR = 12;
  static final int NR = 2 * L;
  // K is cut into the fewest k-blocks of at most KC, all of about the same depth: every block
  // after the first passes the partial sums through C once more (C misses the caches between
  // blocks). Fewer, deeper blocks measured faster on M's products (bench/README.md, "Kernels").
  static final int KC = 512;
  static final int NC = 512;
  static final int MC = 144;
  // A thread's rows of A are packed once for all of N when they fit in this many floats (16 MB),
  // instead of once per NC columns: packing A gathers across rows and costs about as much as
  // 10% of the FLOPs it feeds when N is a few hundred.
  static final int PACK_ALL_A = 1 << 22;

  /**
   * Which part of a product is needed, for the causal attention products: every output (FULL);
   * only tiles that reach the diagonal or below it (LOWER_C: the caller ignores the rest; tiles
   * wholly above it are not written); or all of C where op(A) is known to be zero above the diagonal
   * (A_LOWER) or below it (A_UPPER), so k runs only where A(i, k) can be nonzero. The k terms
   * left out are exact zeros, so A_LOWER and A_UPPER give the same bits as FULL on finite inputs.
   */
  enum Part { FULL, LOWER_C, A_LOWER, A_UPPER }

  private final float[][] packA;
  private final float[][] packB;
  private final float[][] tiles;

  Sgemm(int threads) {
    packA = new float[threads][MC * KC];
    packB = new float[threads][KC * NC];
    tiles = new float[threads][MR * NR];
  }

  /**
   * A(i,k) is a[aOff + i*lda + k], or a[aOff + k*lda + i] when transA; B(k,j) is
   * b[bOff + k*ldb + j], or b[bOff + j*ldb + k] when transB. Without accumulate C is overwritten.
   */
  void gemm(WorkerPool pool, boolean transA, boolean transB, int M, int N, int K, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
      boolean accumulate) {
    gemm(pool, transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, null,
        0);
  }

  /**
   * As above, C(i,j) starting from bias[biasOff + j] instead of zero when bias is not null (and
   * accumulate is false): the bias is added where the first k-block's tile is stored, so the output
   * is written once instead of filled with the bias first and read back.
   */
  void gemm(WorkerPool pool, boolean transA, boolean transB, int M, int N, int K, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
      boolean accumulate, float[] bias, int biasOff) {
    gemm(pool, transA, transB, M, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, bias,
        biasOff, null, 0);
  }

  /**
   * As above, and when rowSums is not null (transA only) also rowSums[rowSumsOff + i] += the sum
   * over k of A(i, k), added in increasing k as A is packed: the bias gradient of dW = dout^T . inp
   * without a pass of its own over dout, and with the same bits as summing dout's rows in order.
   */
  void gemm(WorkerPool pool, boolean transA, boolean transB, int M, int N, int K, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
      boolean accumulate, float[] bias, int biasOff, float[] rowSums, int rowSumsOff) {
    if (rowSums != null && !transA) {
      throw new IllegalArgumentException("row sums of A are added while packing a transposed A");
    }
    if (M == 0 || N == 0) {
      return;
    }
    boolean splitM = M >= N;
    int units = splitM ? (M + MR - 1) / MR : (N + NR - 1) / NR;
    pool.run((tid, nt) -> {
      int u0 = WorkerPool.split(units, tid, nt);
      int u1 = WorkerPool.split(units, tid + 1, nt);
      if (u0 == u1) {
        return;
      }
      if (splitM) {
        block(tid, transA, transB, u0 * MR, Math.min(M, u1 * MR), 0, N, K, a, aOff, lda, b, bOff,
            ldb, c, cOff, ldc, accumulate, bias, biasOff, rowSums, rowSumsOff, Part.FULL);
      } else {
        // Every thread packs all of A: the one with the first columns alone adds its row sums.
        block(tid, transA, transB, 0, M, u0 * NR, Math.min(N, u1 * NR), K, a, aOff, lda, b, bOff,
            ldb, c, cOff, ldc, accumulate, bias, biasOff, u0 == 0 ? rowSums : null, rowSumsOff,
            Part.FULL);
      }
    });
  }

  /**
   * The whole product on the calling thread, with thread tid's packing buffers: for many small
   * products (one per batch and head) inside a task the pool already splits.
   */
  void gemmOnThread(int tid, boolean transA, boolean transB, int M, int N, int K, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, Part part) {
    if (M > 0 && N > 0) {
      block(tid, transA, transB, 0, M, 0, N, K, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false,
          null, 0, null, 0, part);
    }
  }

  private void block(int tid, boolean transA, boolean transB, int m0, int m1, int n0, int n1,
      int K, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
      int ldc, boolean accumulate, float[] bias, int biasOff, float[] rowSums, int rowSumsOff,
      Part part) {
    int mRows = (m1 - m0 + MR - 1) / MR * MR;
    int kBlocks = Math.max(1, (K + KC - 1) / KC);
    int kcMax = ((K + kBlocks - 1) / kBlocks + 7) / 8 * 8;
    boolean packOnce = n1 - n0 > NC && (long) mRows * K <= PACK_ALL_A;
    if (packOnce && packA[tid].length < mRows * K) {
      packA[tid] = new float[mRows * K];
    }
    float[] pa = packA[tid];
    float[] pb = packB[tid];
    float[] tile = tiles[tid];
    if (K == 0) {
      if (!accumulate) {
        for (int i = m0; i < m1; i++) {
          if (bias == null) {
            Arrays.fill(c, cOff + i * ldc + n0, cOff + i * ldc + n1, 0f);
          } else {
            System.arraycopy(bias, biasOff + n0, c, cOff + i * ldc + n0, n1 - n0);
          }
        }
      }
      return;
    }
    for (int jc = n0; jc < n1; jc += NC) {
      int nc = Math.min(NC, n1 - jc);
      for (int pc = 0; pc < K; pc += kcMax) {
        int kc = Math.min(kcMax, K - pc);
        boolean first = pc == 0 && !accumulate;
        packB(transB, b, bOff, ldb, pc, kc, jc, nc, pb);
        for (int ic = m0; ic < m1; ic += MC) {
          int mc = Math.min(MC, m1 - ic);
          // Packed once: block (ic, pc) at (ic - m0) K + pc mc', mc' = mc rounded up to whole
          // panels; else one block at a time at 0.
          int aAt = packOnce ? (ic - m0) * K + pc * ((mc + MR - 1) / MR * MR) : 0;
          if (!packOnce || jc == n0) {
            packA(transA, a, aOff, lda, ic, mc, pc, kc, pa, aAt);
            if (rowSums != null && jc == n0) {
              addRowSums(a, aOff, lda, ic, mc, pc, kc, rowSums, rowSumsOff);
            }
          }
          for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
              int mr = Math.min(MR, mc - ir);
              int row = ic + ir;
              int kFrom = 0;
              int kTo = kc;
              if (part == Part.LOWER_C && jc + jr > row + mr - 1) {
                continue;
              } else if (part == Part.A_LOWER) {
                kTo = Math.max(0, Math.min(kc, row + mr - pc));
              } else if (part == Part.A_UPPER) {
                kFrom = Math.max(0, Math.min(kc, row - pc));
              }
              kernel(pa, aAt + ir * kc + kFrom * MR, pb, jr * kc + kFrom * NR, kTo - kFrom, tile);
              if (first && bias != null) {
                addBias(tile, bias, biasOff + jc + jr, mr, nr);
              }
              flush(tile, c, cOff + (ic + ir) * ldc + jc + jr, ldc, mr, nr, first);
            }
          }
        }
      }
    }
  }

  /** Panels of MR rows at dst[at...], k-major inside a panel; rows past the edge are zero. */
  private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc,
      int kc, float[] dst, int at) {
    if (transA) {
      // Source row pc + k holds A(ic.., k): each row is read once, contiguously, into every panel
      // (panel by panel, each row was visited mc / MR times; bench/README.md has the dW products' gain).
      for (int k = 0; k < kc; k++) {
        int src = aOff + (pc + k) * lda + ic;
        int d = at + k * MR;
        boolean lastK = k + 1 == kc;
        for (int ir = 0; ir < mc; ir += MR) {
          int mr = Math.min(MR, mc - ir);
          if (mr == MR && !lastK && src + ir + L <= a.length) {
            // A whole vector: its L - MR values past this k's slot are overwritten at k + 1.
            FloatVector.fromArray(S, a, src + ir).intoArray(dst, d + ir * kc);
          } else {
            for (int r = 0; r < MR; r++) {
              dst[d + ir * kc + r] = r < mr ? a[src + ir + r] : 0f;
            }
          }
        }
      }
      return;
    }
    for (int ir = 0; ir < mc; ir += MR) {
      int base = at + ir * kc;
      int mr = Math.min(MR, mc - ir);
      if (mr == MR) {
        // Row by row: one contiguous read stream; the writes stride by MR.
        int src = aOff + (ic + ir) * lda + pc;
        for (int r = 0; r < MR; r++) {
          int s = src + r * lda;
          for (int k = 0; k < kc; k++) {
            dst[base + k * MR + r] = a[s + k];
          }
        }
      } else {
        for (int k = 0; k < kc; k++) {
          int d = base + k * MR;
          for (int r = 0; r < MR; r++) {
            dst[d + r] = r < mr ? a[aOff + (ic + ir + r) * lda + pc + k] : 0f;
          }
        }
      }
    }
  }

  /** sums[off + ic + i] += A(ic + i, pc + k) over k in order, for a transposed A. */
  private static void addRowSums(float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
      float[] sums, int off) {
    int s0 = off + ic;
    int vec = S.loopBound(mc);
    for (int k = 0; k < kc; k++) {
      int src = aOff + (pc + k) * lda + ic;
      int i = 0;
      for (; i < vec; i += L) {
        FloatVector.fromArray(S, sums, s0 + i).add(FloatVector.fromArray(S, a, src + i))
            .intoArray(sums, s0 + i);
      }
      for (; i < mc; i++) {
        sums[s0 + i] += a[src + i];
      }
    }
  }

  /** Panels of NR columns, k-major inside a panel; columns past the edge are zero. */
  private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc,
      int nc, float[] dst) {
    if (!transB) {
      // Each source row once, contiguously, into every panel.
      for (int k = 0; k < kc; k++) {
        int src = bOff + (pc + k) * ldb + jc;
        int d = k * NR;
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = Math.min(NR, nc - jr);
          if (nr == NR) {
            FloatVector.fromArray(S, b, src + jr).intoArray(dst, d + jr * kc);
            FloatVector.fromArray(S, b, src + jr + L).intoArray(dst, d + jr * kc + L);
          } else {
            for (int j = 0; j < NR; j++) {
              dst[d + jr * kc + j] = j < nr ? b[src + jr + j] : 0f;
            }
          }
        }
      }
      return;
    }
    for (int jr = 0; jr < nc; jr += NR) {
      int base = jr * kc;
      int nr = Math.min(NR, nc - jr);
      for (int j = 0; j < NR; j++) {
        if (j < nr) {
          int src = bOff + (jc + jr + j) * ldb + pc;
          for (int k = 0; k < kc; k++) {
            dst[base + k * NR + j] = b[src + k];
          }
        } else {
          for (int k = 0; k < kc; k++) {
            dst[base + k * NR + j] = 0f;
          }
        }
      }
    }
  }

  /**
   * tile (MR x NR) = packed A panel . packed B panel over kc. Kept to the k loop and the spill:
   * with the stores to C inlined as well, C2 hits its inlining node limit and boxes vectors.
   */
  private static void kernel(float[] pa, int ai, float[] pb, int bi, int kc, float[] tile) {
    FloatVector z = FloatVector.zero(S);
    FloatVector c00 = z, c01 = z;
    FloatVector c10 = z, c11 = z;
    FloatVector c20 = z, c21 = z;
    FloatVector c30 = z, c31 = z;
    FloatVector c40 = z, c41 = z;
    FloatVector c50 = z, c51 = z;
    FloatVector c60 = z, c61 = z;
    FloatVector c70 = z, c71 = z;
    FloatVector c80 = z, c81 = z;
    FloatVector c90 = z, c91 = z;
    FloatVector c100 = z, c101 = z;
    FloatVector c110 = z, c111 = z;
    for (int k = 0; k < kc; k++) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bi);
      FloatVector b1 = FloatVector.fromArray(S, pb, bi + L);
      FloatVector a;
      a = FloatVector.broadcast(S, pa[ai + 0]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(S, pa[ai + 1]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(S, pa[ai + 2]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(S, pa[ai + 3]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      a = FloatVector.broadcast(S, pa[ai + 4]);
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      a = FloatVector.broadcast(S, pa[ai + 5]);
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
      a = FloatVector.broadcast(S, pa[ai + 6]);
      c60 = a.fma(b0, c60);
      c61 = a.fma(b1, c61);
      a = FloatVector.broadcast(S, pa[ai + 7]);
      c70 = a.fma(b0, c70);
      c71 = a.fma(b1, c71);
      a = FloatVector.broadcast(S, pa[ai + 8]);
      c80 = a.fma(b0, c80);
      c81 = a.fma(b1, c81);
      a = FloatVector.broadcast(S, pa[ai + 9]);
      c90 = a.fma(b0, c90);
      c91 = a.fma(b1, c91);
      a = FloatVector.broadcast(S, pa[ai + 10]);
      c100 = a.fma(b0, c100);
      c101 = a.fma(b1, c101);
      a = FloatVector.broadcast(S, pa[ai + 11]);
      c110 = a.fma(b0, c110);
      c111 = a.fma(b1, c111);
      ai += MR;
      bi += NR;
    }
    c00.intoArray(tile, 0 * NR);
    c01.intoArray(tile, 0 * NR + L);
    c10.intoArray(tile, 1 * NR);
    c11.intoArray(tile, 1 * NR + L);
    c20.intoArray(tile, 2 * NR);
    c21.intoArray(tile, 2 * NR + L);
    c30.intoArray(tile, 3 * NR);
    c31.intoArray(tile, 3 * NR + L);
    c40.intoArray(tile, 4 * NR);
    c41.intoArray(tile, 4 * NR + L);
    c50.intoArray(tile, 5 * NR);
    c51.intoArray(tile, 5 * NR + L);
    c60.intoArray(tile, 6 * NR);
    c61.intoArray(tile, 6 * NR + L);
    c70.intoArray(tile, 7 * NR);
    c71.intoArray(tile, 7 * NR + L);
    c80.intoArray(tile, 8 * NR);
    c81.intoArray(tile, 8 * NR + L);
    c90.intoArray(tile, 9 * NR);
    c91.intoArray(tile, 9 * NR + L);
    c100.intoArray(tile, 10 * NR);
    c101.intoArray(tile, 10 * NR + L);
    c110.intoArray(tile, 11 * NR);
    c111.intoArray(tile, 11 * NR + L);
  }

  /** Each of the tile's first mr rows += bias[bIdx, bIdx + nr). */
  private static void addBias(float[] tile, float[] bias, int bIdx, int mr, int nr) {
    if (nr == NR) {
      FloatVector b0 = FloatVector.fromArray(S, bias, bIdx);
      FloatVector b1 = FloatVector.fromArray(S, bias, bIdx + L);
      for (int r = 0; r < mr; r++) {
        FloatVector.fromArray(S, tile, r * NR).add(b0).intoArray(tile, r * NR);
        FloatVector.fromArray(S, tile, r * NR + L).add(b1).intoArray(tile, r * NR + L);
      }
    } else {
      for (int r = 0; r < mr; r++) {
        for (int j = 0; j < nr; j++) {
          tile[r * NR + j] += bias[bIdx + j];
        }
      }
    }
  }

  /** C (mr x nr at cIdx) = or += tile. */
  private static void flush(float[] tile, float[] c, int cIdx, int ldc, int mr, int nr,
      boolean first) {
    for (int r = 0; r < mr; r++) {
      int row = cIdx + r * ldc;
      int t = r * NR;
      if (nr == NR) {
        FloatVector v0 = FloatVector.fromArray(S, tile, t);
        FloatVector v1 = FloatVector.fromArray(S, tile, t + L);
        if (!first) {
          v0 = v0.add(FloatVector.fromArray(S, c, row));
          v1 = v1.add(FloatVector.fromArray(S, c, row + L));
        }
        v0.intoArray(c, row);
        v1.intoArray(c, row + L);
      } else {
        for (int j = 0; j < nr; j++) {
          c[row + j] = first ? tile[t + j] : tile[t + j] + c[row + j];
        }
      }
    }
  }
}
