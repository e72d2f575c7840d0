package io.ringtrain.kernels.opencl;

import com.aparapi.Kernel;

/**
 * Every kernel of a training step in one Aparapi {@link Kernel}, so that all of them share one set
 * of device buffers: Aparapi keeps a buffer per array field per Kernel instance, and two Kernel
 * objects never share device memory. {@link #run()} dispatches on {@link #op}. The arrays have
 * fixed roles (parameters, gradients, the activation arena, ...); scalar fields carry the offsets,
 * shapes and hyper-parameters of the current call, with the meaning given at each op.
 *
 * <p>Determinism: every output element is computed by one work-item in a fixed order; no atomics,
 * and no reduction is split across work-items except sumOfSquares, whose per-block partial sums
 * are added up by the host in a fixed order.
 *
 * <p>Written for Aparapi's translator: a top-level class, compiled with {@code -g}; no object
 * allocation, no {@code continue}, no calls to other classes, and no Java names that are OpenCL
 * keywords (a local variable called {@code local} breaks the build). The matmul tile keeps its
 * accumulators in a private-memory array, which PoCL vectorises over the 16 columns (8 rows x 16
 * columns measured better than 4 x 16 on the M shapes and than 8 x 32 everywhere, under load).
 */
public final class StepKernel extends Kernel {
  // ---- ops ------------------------------------------------------------------------------------
  static final int OP_NOP = 0;
  static final int OP_ENCODER_FWD = 1;
  static final int OP_ENCODER_BWD = 2;
  static final int OP_LN_FWD = 3;
  static final int OP_LN_BWD_DINP = 4;
  static final int OP_LN_BWD_DWDB = 5;
  /** scratch = B operand of a gemm, from params read transposed (W (rows x cols) -> (cols x rows)). */
  static final int OP_PACK_PARAMS_T = 6;
  /** scratch = B operand of a gemm, from params as stored. */
  static final int OP_PACK_PARAMS = 7;
  /** scratch = B operand of a gemm, from the work arena as stored. */
  static final int OP_PACK_WORK = 8;
  /** The tiled gemm: A from work (strided), B from scratch; out to work or (accumulating) grads. */
  static final int OP_GEMM = 9;
  static final int OP_DBIAS = 10;
  static final int OP_ATT_FWD = 11;
  static final int OP_ATT_BWD_DQ = 12;
  static final int OP_ATT_BWD_DKV = 13;
  static final int OP_GELU_FWD = 14;
  static final int OP_GELU_BWD = 15;
  static final int OP_RESIDUAL_FWD = 16;
  static final int OP_CE_FWD = 17;
  static final int OP_CE_BWD = 18;
  static final int OP_ADAMW = 19;
  static final int OP_SUMSQ = 20;
  static final int OP_SCALE = 21;
  static final int OP_ZERO = 22;

  /** Role selectors for ops that work on any array (sumsq, scale, zero). */
  static final int SEL_PARAMS = 0;
  static final int SEL_GRADS = 1;
  static final int SEL_WORK = 2;

  /** Matmul tile: TILE_R rows x TILE_C contiguous columns per work-item. */
  static final int TILE_R = 8;
  static final int TILE_C = 16;
  /** Elements per work-item of sumOfSquares. */
  static final int SUMSQ_BLOCK = 1024;

  // ---- arrays, by role (never null: a one-element placeholder until bound) -----------------------
  float[] params = new float[1];
  float[] grads = new float[1];
  float[] work = new float[1];
  float[] losses = new float[1];
  float[] m = new float[1];
  float[] v = new float[1];
  int[] inputs = new int[1];
  int[] targets = new int[1];
  /** Backend-owned temporaries: packed gemm operands, attention's dpre rows. */
  float[] scratch = new float[1];
  /** sumOfSquares' per-block sums. */
  float[] partials = new float[1];

  @PrivateMemorySpace(TILE_R * TILE_C)
  private final float[] acc = new float[TILE_R * TILE_C];

  // ---- scalars ------------------------------------------------------------------------------------
  int op;
  /** Number of work items that do something (the range is rounded up to the work-group size). */
  int count;
  /** Elementwise ops: the number of elements, {@link #chunk} per work-item; 0 otherwise. */
  int elems;
  int chunk;
  int sel;
  int o0;
  int o1;
  int o2;
  int o3;
  int o4;
  int o5;
  int o6;
  int o7;
  int dimB;
  int dimT;
  int dimC;
  int dimNH;
  int rows;
  int cols;
  int depth;
  int aRowStride;
  int aKStride;
  int ldb;
  int accumulate;
  int hasBias;
  int vocab;
  int paddedVocab;
  float f0;
  float f1;
  float f2;
  float f3;
  float f4;
  float f5;
  float f6;
  float f7;

  @Override
  public void run() {
    int id = getGlobalId(0);
    if (id < count) {
      if (elems > 0) {
        // elementwise ops: a chunk of consecutive elements per work-item, so that the
        // per-work-item prologue Aparapi generates (copying every field) is paid once per chunk
        int end = min(id * chunk + chunk, elems);
        for (int e = id * chunk; e < end; e++) {
          element(e);
        }
      } else if (op == OP_GEMM) {
        gemmTile(id);
      } else if (op == OP_ENCODER_BWD) {
        // o0 dwte, o1 dwpe (grads), o2 dout (work); one channel per item, positions in order
        int C = dimC;
        int n = dimB * dimT;
        for (int i = 0; i < n; i++) {
          float g = work[o2 + i * C + id];
          grads[o0 + inputs[i] * C + id] += g;
          grads[o1 + (i % dimT) * C + id] += g;
        }
      } else if (op == OP_LN_FWD) {
        layernormRow(id);
      } else if (op == OP_LN_BWD_DINP) {
        layernormBackwardRow(id);
      } else if (op == OP_LN_BWD_DWDB) {
        // o0 dw, o1 db (grads), o2 dout, o3 inp, o4 mean, o5 rstd (work); one channel per item
        int C = dimC;
        float dw = 0f;
        float db = 0f;
        for (int i = 0; i < rows; i++) {
          float g = work[o2 + i * C + id];
          db += g;
          dw += (work[o3 + i * C + id] - work[o4 + i]) * work[o5 + i] * g;
        }
        grads[o0 + id] += dw;
        grads[o1 + id] += db;
      } else if (op == OP_DBIAS) {
        // grads[o0 + id] += sum over rows of work[o1 + i * cols + id]
        float s = 0f;
        for (int i = 0; i < rows; i++) {
          s += work[o1 + i * cols + id];
        }
        grads[o0 + id] += s;
      } else if (op == OP_ATT_FWD || op == OP_ATT_BWD_DQ || op == OP_ATT_BWD_DKV) {
        attention(id);
      } else if (op == OP_CE_FWD) {
        crossEntropyRow(id);
      } else if (op == OP_SUMSQ) {
        // partials[id] = sum of squares of block id of [o0, o0 + o1)
        int start = o0 + id * SUMSQ_BLOCK;
        int end = min(o0 + o1, start + SUMSQ_BLOCK);
        float s = 0f;
        for (int i = start; i < end; i++) {
          float x = sel == SEL_GRADS ? grads[i] : sel == SEL_PARAMS ? params[i] : work[i];
          s += x * x;
        }
        partials[id] = s;
      }
    }
  }

  /** One element of an elementwise op (the offsets and scalars as in the backend's call). */
  private void element(int id) {
    if (op == OP_ENCODER_FWD) {
      // o0 out, o1 wte, o2 wpe (params); one element per item
      int C = dimC;
      int i = id / C;
      int c = id - i * C;
      work[o0 + id] = params[o1 + inputs[i] * C + c] + params[o2 + (i % dimT) * C + c];
    } else if (op == OP_PACK_PARAMS_T) {
      // scratch[c * ldb + r] = params[o0 + r * cols + c] for r < rows (W is rows x cols);
      // padding columns (r >= rows) are zero
      int c = id / ldb;
      int r = id - c * ldb;
      scratch[id] = r < rows ? params[o0 + r * cols + c] : 0f;
    } else if (op == OP_PACK_PARAMS) {
      // scratch[r * ldb + c] = params[o0 + r * cols + c]; zero padding columns
      int r = id / ldb;
      int c = id - r * ldb;
      scratch[id] = c < cols ? params[o0 + r * cols + c] : 0f;
    } else if (op == OP_PACK_WORK) {
      int r = id / ldb;
      int c = id - r * ldb;
      scratch[id] = c < cols ? work[o0 + r * cols + c] : 0f;
    } else if (op == OP_GELU_FWD) {
      // o0 out, o1 inp; f0 = sqrt(2/pi)
      float x = work[o1 + id];
      // tanh(u) = 1 - 2 / (exp(2u) + 1): PoCL's tanh took several times longer than exp here
      float th = 1f - 2f / (exp(2f * (x + x * x * x * 0.044715f) * f0) + 1f);
      work[o0 + id] = x * 0.5f * (th + 1f);
    } else if (op == OP_GELU_BWD) {
      // o0 dinp, o1 inp, o2 dout; f0 = sqrt(2/pi)
      float x = work[o1 + id];
      float x2 = x * x;
      float th = 1f - 2f / (exp(2f * (x + x2 * x * 0.044715f) * f0) + 1f);
      float sech2 = 1f - th * th;
      float slope = (th + 1f) * 0.5f + x * 0.5f * sech2 * f0 * (x2 * (3f * 0.044715f) + 1f);
      work[o0 + id] = slope * work[o2 + id];
    } else if (op == OP_RESIDUAL_FWD) {
      work[o0 + id] = work[o1 + id] + work[o2 + id];
    } else if (op == OP_CE_BWD) {
      // one element per item: o0 dlogits, o1 logits (work), o2 stats (losses); f0 dloss
      int Vp = paddedVocab;
      int i = id / Vp;
      int c = id - i * Vp;
      float d = 0f;
      if (c < vocab) {
        float max = losses[o2 + 2 * i];
        d = exp(work[o1 + id] - max) * (f0 / losses[o2 + 2 * i + 1]);
        if (c == targets[i]) {
          d -= f0;
        }
      }
      work[o0 + id] = d;
    } else if (op == OP_ADAMW) {
      // o0 first index; f0 lr, f1 beta1, f2 beta2, f3 eps, f4 wd, f5 bias1, f6 bias2
      int i = o0 + id;
      float g = grads[i];
      float mi = f1 * m[i] + (1f - f1) * g;
      float vi = f2 * v[i] + (1f - f2) * (g * g);
      m[i] = mi;
      v[i] = vi;
      float upd = (mi / f5) / (sqrt(vi / f6) + f3);
      params[i] -= f0 * (upd + f4 * params[i]);
    } else if (op == OP_SCALE) {
      int i = o0 + id;
      if (sel == SEL_GRADS) {
        grads[i] *= f0;
      } else if (sel == SEL_PARAMS) {
        params[i] *= f0;
      } else {
        work[i] *= f0;
      }
    } else if (op == OP_ZERO) {
      int i = o0 + id;
      if (sel == SEL_GRADS) {
        grads[i] = 0f;
      } else if (sel == SEL_PARAMS) {
        params[i] = 0f;
      } else {
        work[i] = 0f;
      }
    }
  }


  /**
   * out (rows x cols) = A (rows x depth) . B (depth x cols) [+ bias]: A(r, k) =
   * work[o0 + r * aRowStride + k * aKStride], B(k, j) = scratch[k * ldb + j] (ldb a multiple of
   * TILE_C, padding columns zero). Output work[o1 + r * cols + j] (+ params[o2 + j] when hasBias),
   * or with accumulate grads[o1 + r * cols + j] += .... One work-item: TILE_R rows x TILE_C
   * columns; id runs over column tiles fastest.
   */
  private void gemmTile(int id) {
    int colTiles = ldb / TILE_C;
    int rt = id / colTiles;
    int c0 = (id - rt * colTiles) * TILE_C;
    int r0 = rt * TILE_R;
    int last = rows - 1;
    int a0 = o0 + min(r0, last) * aRowStride;
    int a1 = o0 + min(r0 + 1, last) * aRowStride;
    int a2 = o0 + min(r0 + 2, last) * aRowStride;
    int a3 = o0 + min(r0 + 3, last) * aRowStride;
    int a4 = o0 + min(r0 + 4, last) * aRowStride;
    int a5 = o0 + min(r0 + 5, last) * aRowStride;
    int a6 = o0 + min(r0 + 6, last) * aRowStride;
    int a7 = o0 + min(r0 + 7, last) * aRowStride;
    for (int q = 0; q < TILE_R * TILE_C; q++) {
      acc[q] = 0f;
    }
    for (int k = 0; k < depth; k++) {
      int ak = k * aKStride;
      float x0 = work[a0 + ak];
      float x1 = work[a1 + ak];
      float x2 = work[a2 + ak];
      float x3 = work[a3 + ak];
      float x4 = work[a4 + ak];
      float x5 = work[a5 + ak];
      float x6 = work[a6 + ak];
      float x7 = work[a7 + ak];
      int b = k * ldb + c0;
      for (int j = 0; j < TILE_C; j++) {
        float y = scratch[b + j];
        acc[j] += x0 * y;
        acc[TILE_C + j] += x1 * y;
        acc[2 * TILE_C + j] += x2 * y;
        acc[3 * TILE_C + j] += x3 * y;
        acc[4 * TILE_C + j] += x4 * y;
        acc[5 * TILE_C + j] += x5 * y;
        acc[6 * TILE_C + j] += x6 * y;
        acc[7 * TILE_C + j] += x7 * y;
      }
    }
    for (int r = 0; r < TILE_R; r++) {
      int row = r0 + r;
      if (row < rows) {
        for (int j = 0; j < TILE_C; j++) {
          int col = c0 + j;
          if (col < cols) {
            int at = o1 + row * cols + col;
            float s = acc[r * TILE_C + j];
            if (accumulate != 0) {
              grads[at] += s;
            } else if (hasBias != 0) {
              work[at] = s + params[o2 + col];
            } else {
              work[at] = s;
            }
          }
        }
      }
    }
  }

  /** o0 out, o1 mean, o2 rstd, o3 inp (work); o4 w, o5 b (params); one row per item. */
  private void layernormRow(int i) {
    int C = dimC;
    int x = o3 + i * C;
    float s = 0f;
    for (int c = 0; c < C; c++) {
      s += work[x + c];
    }
    float mean = s / C;
    float var = 0f;
    for (int c = 0; c < C; c++) {
      float d = work[x + c] - mean;
      var += d * d;
    }
    float rs = 1f / sqrt(var / C + 1e-5f);
    int o = o0 + i * C;
    for (int c = 0; c < C; c++) {
      work[o + c] = (work[x + c] - mean) * rs * params[o4 + c] + params[o5 + c];
    }
    work[o1 + i] = mean;
    work[o2 + i] = rs;
  }

  /** o0 dinp (+=), o1 dout, o2 inp, o3 mean, o4 rstd (work); o5 w (params); one row per item. */
  private void layernormBackwardRow(int i) {
    int C = dimC;
    int x = o2 + i * C;
    int d = o1 + i * C;
    float mean = work[o3 + i];
    float rs = work[o4 + i];
    float dnormMean = 0f;
    float dnormNormMean = 0f;
    for (int c = 0; c < C; c++) {
      float norm = (work[x + c] - mean) * rs;
      float dnorm = params[o5 + c] * work[d + c];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean = dnormMean / C;
    dnormNormMean = dnormNormMean / C;
    int di = o0 + i * C;
    for (int c = 0; c < C; c++) {
      float norm = (work[x + c] - mean) * rs;
      float dnorm = params[o5 + c] * work[d + c];
      work[di + c] += (dnorm - dnormMean - norm * dnormNormMean) * rs;
    }
  }

  /**
   * Attention, one (b, h, t) per item, id = (b * NH + h) * T + t; f0 = 1/sqrt(head size).
   * Forward (o0 out, o1 att, o2 qkv): att[t, t2] (zero for t2 &gt; t) and out[t]. Backward in two
   * ops (o0 dqkv, o1 dout, o2 qkv, o3 att; dpre rows in scratch, laid out as att): first dpre[t, :]
   * and dq[t], then dk[t] and dv[t] summed over the rows t' &gt;= t in order.
   */
  private void attention(int id) {
    int T = dimT;
    int C = dimC;
    int NH = dimNH;
    int hs = C / NH;
    int c3 = 3 * C;
    int bh = id / T;
    int t = id - bh * T;
    int b = bh / NH;
    int h = bh - b * NH;
    int base = o2 + b * T * c3 + h * hs;
    if (op == OP_ATT_FWD) {
      int q = base + t * c3;
      int row = o1 + id * T;
      float max = -3.0e38f;
      for (int t2 = 0; t2 <= t; t2++) {
        int k = base + C + t2 * c3;
        float s = 0f;
        for (int i = 0; i < hs; i++) {
          s += work[q + i] * work[k + i];
        }
        s = s * f0;
        work[row + t2] = s;
        max = max(max, s);
      }
      float sum = 0f;
      for (int t2 = 0; t2 <= t; t2++) {
        float e = exp(work[row + t2] - max);
        work[row + t2] = e;
        sum += e;
      }
      float inv = 1f / sum;
      for (int t2 = 0; t2 <= t; t2++) {
        work[row + t2] = work[row + t2] * inv;
      }
      for (int t2 = t + 1; t2 < T; t2++) {
        work[row + t2] = 0f; // the Backend contract: zeros past the causal edge
      }
      int out = o0 + (b * T + t) * C + h * hs;
      for (int i = 0; i < hs; i++) {
        work[out + i] = 0f;
      }
      for (int t2 = 0; t2 <= t; t2++) {
        float a = work[row + t2];
        int vv = base + 2 * C + t2 * c3;
        for (int i = 0; i < hs; i++) {
          work[out + i] += a * work[vv + i];
        }
      }
    } else if (op == OP_ATT_BWD_DQ) {
      int dout = o1 + (b * T + t) * C + h * hs;
      int row = o3 + id * T;
      int drow = id * T;
      float dot = 0f;
      for (int t2 = 0; t2 <= t; t2++) {
        int vv = base + 2 * C + t2 * c3;
        float s = 0f;
        for (int i = 0; i < hs; i++) {
          s += work[dout + i] * work[vv + i];
        }
        scratch[drow + t2] = s;
        dot += work[row + t2] * s;
      }
      for (int t2 = 0; t2 <= t; t2++) {
        scratch[drow + t2] = work[row + t2] * (scratch[drow + t2] - dot) * f0;
      }
      int dq = o0 + (b * T + t) * c3 + h * hs;
      for (int i = 0; i < hs; i++) {
        work[dq + i] = 0f;
      }
      for (int t2 = 0; t2 <= t; t2++) {
        float p = scratch[drow + t2];
        int k = base + C + t2 * c3;
        for (int i = 0; i < hs; i++) {
          work[dq + i] += p * work[k + i];
        }
      }
    } else {
      // here t plays the role of t2 (the key/value position), t1 runs over the later queries
      int dk = o0 + (b * T + t) * c3 + h * hs + C;
      int dv = dk + C;
      for (int i = 0; i < hs; i++) {
        work[dk + i] = 0f;
        work[dv + i] = 0f;
      }
      for (int t1 = t; t1 < T; t1++) {
        float p = scratch[(bh * T + t1) * T + t];
        float a = work[o3 + (bh * T + t1) * T + t];
        int q = base + t1 * c3;
        int dout = o1 + (b * T + t1) * C + h * hs;
        for (int i = 0; i < hs; i++) {
          work[dk + i] += p * work[q + i];
          work[dv + i] += a * work[dout + i];
        }
      }
    }
  }

  /** o0 losses, o1 stats (losses role); o2 logits (work); one row per item. */
  private void crossEntropyRow(int i) {
    int row = o2 + i * paddedVocab;
    float max = work[row];
    for (int c = 1; c < vocab; c++) {
      max = max(max, work[row + c]);
    }
    float sum = 0f;
    for (int c = 0; c < vocab; c++) {
      sum += exp(work[row + c] - max);
    }
    losses[o1 + 2 * i] = max;
    losses[o1 + 2 * i + 1] = sum;
    losses[o0 + i] = log(sum) + max - work[row + targets[i]];
  }
}
