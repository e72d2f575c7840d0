package io.ringtrain.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pure-Java backend: Vector API ({@code FloatVector}, preferred species) and a fixed pool of
 * threads created once. Work is split by output rows, columns, channels or (batch, head) pairs,
 * never inside a sum, so results are deterministic; with the splits used here they are in fact the
 * same for every thread count. Scratch buffers are allocated once (growing only when a larger
 * shape arrives); the one allocation left per call is the small capturing lambda handed to the
 * pool.
 */
public final class JavaBackend implements Backend {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final float LN_EPS = 1e-5f;
  private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);
  // Below this many elements an elementwise kernel runs on the caller: waking threads costs more.
  private static final int SERIAL_BELOW = 1 << 14;
  // sumOfSquares: fixed chunks (one per task), summed in double, then the chunk totals in order.
  private static final int SUMSQ_CHUNK = 1 << 16;
  private static final int SUMSQ_BLOCK = 16 * 64;
  // GELU backward works through blocks this long (floats), small enough to stay in L1.
  private static final int GELU_BLOCK = 1024;

  private final WorkerPool pool;
  private final Sgemm sgemm;
  private final float[][] attScratch;
  private double[] chunkSums = new double[0];
  // LayerNorm backward's partial sums of dw and db, LN_ROWS rows each.
  private static final int LN_ROWS = 128;
  private float[] lnPartials = new float[0];

  /** One thread per available processor. */
  public JavaBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  public JavaBackend(int threads) {
    pool = new WorkerPool(threads);
    sgemm = new Sgemm(threads);
    attScratch = new float[threads][0];
  }

  @Override
  public int threads() {
    return pool.threads();
  }

  /**
   * Start of thread tid's share of [0, n), on a vector boundary: which elements take the vector
   * path and which the scalar tail then does not depend on the thread count, and neither do the
   * results (vector exp/tanh and their scalar fallbacks differ in the last bits).
   */
  private static int vectorSplit(int n, int tid, int nThreads) {
    return tid == nThreads ? n : WorkerPool.split(n / L, tid, nThreads) * L;
  }

  /** Runs body over [0, n) split across threads, or on the caller when n is small. */
  private void elementwise(int n, WorkerPool.Task body) {
    if (n < SERIAL_BELOW) {
      body.run(0, 1);
    } else {
      pool.run(body);
    }
  }

  // ---- encoder --------------------------------------------------------------------------------

  @Override
  public void encoderForward(float[] out, int outOff, int[] inp, float[] wte, int wteOff,
      float[] wpe, int wpeOff, int B, int T, int C) {
    int bt = B * T;
    pool.run((tid, nt) -> {
      for (int i = WorkerPool.split(bt, tid, nt); i < WorkerPool.split(bt, tid + 1, nt); i++) {
        int o = outOff + i * C;
        int e = wteOff + inp[i] * C;
        int p = wpeOff + (i % T) * C;
        add(out, o, wte, e, wpe, p, C);
      }
    });
  }

  @Override
  public void encoderBackward(float[] dwte, int dwteOff, float[] dwpe, int dwpeOff, float[] dout,
      int doutOff, int[] inp, int B, int T, int C) {
    // Tokens repeat, so rows of dwte would race: threads own channel ranges instead and walk all
    // positions in order.
    pool.run((tid, nt) -> {
      int c0 = WorkerPool.split(C, tid, nt);
      int c1 = WorkerPool.split(C, tid + 1, nt);
      for (int i = 0; i < B * T; i++) {
        int d = doutOff + i * C;
        int e = dwteOff + inp[i] * C;
        int p = dwpeOff + (i % T) * C;
        for (int c = c0; c < c1; c++) {
          float g = dout[d + c];
          dwte[e + c] += g;
          dwpe[p + c] += g;
        }
      }
    });
  }

  // ---- LayerNorm ------------------------------------------------------------------------------

  @Override
  public void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd,
      int rstdOff, float[] inp, int inpOff, float[] w, int wOff, float[] b, int bOff, int N,
      int C) {
    pool.run((tid, nt) -> {
      for (int i = WorkerPool.split(N, tid, nt); i < WorkerPool.split(N, tid + 1, nt); i++) {
        int x = inpOff + i * C;
        float m = sum(inp, x, C) / C;
        // Two passes (mean, then squared deviations) for accuracy.
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        int c = 0;
        for (; c < S.loopBound(C); c += L) {
          FloatVector d = FloatVector.fromArray(S, inp, x + c).sub(mv);
          acc = d.fma(d, acc);
        }
        float var = VecMath.sumLanes(acc);
        for (; c < C; c++) {
          float d = inp[x + c] - m;
          var += d * d;
        }
        float s = (float) (1.0 / Math.sqrt(var / C + LN_EPS));
        FloatVector sv = FloatVector.broadcast(S, s);
        int o = outOff + i * C;
        c = 0;
        for (; c < S.loopBound(C); c += L) {
          FloatVector n = FloatVector.fromArray(S, inp, x + c).sub(mv).mul(sv);
          n.fma(FloatVector.fromArray(S, w, wOff + c), FloatVector.fromArray(S, b, bOff + c))
              .intoArray(out, o + c);
        }
        for (; c < C; c++) {
          float n = (inp[x + c] - m) * s;
          out[o + c] = n * w[wOff + c] + b[bOff + c];
        }
        mean[meanOff + i] = m;
        rstd[rstdOff + i] = s;
      }
    });
  }

  @Override
  public void layernormBackward(float[] dinp, int dinpOff, float[] dw, int dwOff, float[] db,
      int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
      float[] mean, int meanOff, float[] rstd, int rstdOff, int N, int C) {
    // dw and db are summed over LN_ROWS rows at a time while the rows are at hand for dinp, then
    // those partial sums in order: one pass over inp and dout, and the same association of the
    // sums whatever the thread count.
    int chunks = (N + LN_ROWS - 1) / LN_ROWS;
    if (lnPartials.length < 2L * chunks * C) {
      lnPartials = new float[2 * chunks * C];
    }
    float[] part = lnPartials;
    pool.run((tid, nt) -> {
      // dinp by rows: with norm = (x - mean) * rstd and dnorm = w * dout,
      // dinp = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)).
      for (int ch = WorkerPool.split(chunks, tid, nt); ch < WorkerPool.split(chunks, tid + 1, nt);
          ch++) {
        int pw = 2 * ch * C;
        int pb = pw + C;
        Arrays.fill(part, pw, pw + 2 * C, 0f);
        for (int i = ch * LN_ROWS; i < Math.min(N, (ch + 1) * LN_ROWS); i++) {
          int x = inpOff + i * C;
          int d = doutOff + i * C;
          int di = dinpOff + i * C;
          float m = mean[meanOff + i];
          float s = rstd[rstdOff + i];
          FloatVector mv = FloatVector.broadcast(S, m);
          FloatVector sv = FloatVector.broadcast(S, s);
          FloatVector accMean = FloatVector.zero(S);
          FloatVector accNorm = FloatVector.zero(S);
          int c = 0;
          for (; c < S.loopBound(C); c += L) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c).sub(mv).mul(sv);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c)
                .mul(FloatVector.fromArray(S, dout, d + c));
            accMean = accMean.add(dnorm);
            accNorm = dnorm.fma(norm, accNorm);
          }
          float dnormMean = VecMath.sumLanes(accMean);
          float dnormNormMean = VecMath.sumLanes(accNorm);
          for (; c < C; c++) {
            float norm = (inp[x + c] - m) * s;
            float dnorm = w[wOff + c] * dout[d + c];
            dnormMean += dnorm;
            dnormNormMean += dnorm * norm;
          }
          dnormMean /= C;
          dnormNormMean /= C;
          FloatVector dmv = FloatVector.broadcast(S, dnormMean);
          FloatVector dnv = FloatVector.broadcast(S, dnormNormMean);
          c = 0;
          for (; c < S.loopBound(C); c += L) {
            FloatVector norm = FloatVector.fromArray(S, inp, x + c).sub(mv).mul(sv);
            FloatVector g = FloatVector.fromArray(S, dout, d + c);
            FloatVector dnorm = FloatVector.fromArray(S, w, wOff + c).mul(g);
            dnorm.sub(dmv).sub(norm.mul(dnv)).mul(sv)
                .add(FloatVector.fromArray(S, dinp, di + c)).intoArray(dinp, di + c);
            g.add(FloatVector.fromArray(S, part, pb + c)).intoArray(part, pb + c);
            norm.fma(g, FloatVector.fromArray(S, part, pw + c)).intoArray(part, pw + c);
          }
          for (; c < C; c++) {
            float norm = (inp[x + c] - m) * s;
            float g = dout[d + c];
            float dnorm = w[wOff + c] * g;
            dinp[di + c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
            part[pb + c] += g;
            part[pw + c] += norm * g;
          }
        }
      }
    });
    pool.run((tid, nt) -> {
      int c1 = vectorSplit(C, tid + 1, nt);
      for (int ch = 0; ch < chunks; ch++) {
        int pw = 2 * ch * C;
        int pb = pw + C;
        int c = vectorSplit(C, tid, nt);
        for (; c + L <= c1; c += L) {
          FloatVector.fromArray(S, dw, dwOff + c).add(FloatVector.fromArray(S, part, pw + c))
              .intoArray(dw, dwOff + c);
          FloatVector.fromArray(S, db, dbOff + c).add(FloatVector.fromArray(S, part, pb + c))
              .intoArray(db, dbOff + c);
        }
        for (; c < c1; c++) {
          dw[dwOff + c] += part[pw + c];
          db[dbOff + c] += part[pb + c];
        }
      }
    });
  }

  // ---- matmul ---------------------------------------------------------------------------------

  @Override
  public void matmulForward(float[] out, int outOff, float[] inp, int inpOff, float[] weight,
      int wOff, float[] bias, int bOff, int N, int C, int OC) {
    // B(k, j) = weight[j, k]: the weight is read transposed.
    sgemm.gemm(pool, false, true, N, OC, C, inp, inpOff, C, weight, wOff, C, out, outOff, OC,
        false, bias, bOff);
  }

  @Override
  public void matmulBackward(float[] dinp, int dinpOff, float[] dweight, int dwOff, float[] dbias,
      int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] weight, int wOff,
      int N, int C, int OC) {
    // dinp (N x C) = dout (N x OC) . weight (OC x C)
    sgemm.gemm(pool, false, false, N, C, OC, dout, doutOff, OC, weight, wOff, C, dinp, dinpOff, C,
        false);
    // dweight (OC x C) += dout^T (OC x N) . inp (N x C); dbias += the row sums of dout^T, added
    // as dout^T is packed
    sgemm.gemm(pool, true, false, OC, C, N, dout, doutOff, OC, inp, inpOff, C, dweight, dwOff, C,
        true, null, 0, dbias, dbOff);
  }

  // ---- attention ------------------------------------------------------------------------------

  @Override
  public void attentionForward(float[] out, int outOff, float[] att, int attOff, float[] qkv,
      int qkvOff, int B, int T, int C, int NH) {
    int hs = C / NH;
    int c3 = 3 * C;
    float scale = (float) (1.0 / Math.sqrt(hs));
    int pairs = B * NH;
    // Per (batch, head): scores = q . k^T as a matrix product over the tiles that reach the causal
    // half, a softmax per row, then out = att . v with k running only up to the diagonal.
    pool.run((tid, nt) -> {
      for (int bh = WorkerPool.split(pairs, tid, nt); bh < WorkerPool.split(pairs, tid + 1, nt);
          bh++) {
        int b = bh / NH;
        int h = bh % NH;
        int base = qkvOff + b * T * c3 + h * hs;
        int attBase = attOff + bh * T * T;
        sgemm.gemmOnThread(tid, false, true, T, T, hs, qkv, base, c3, qkv, base + C, c3, att,
            attBase, T, Sgemm.Part.LOWER_C);
        for (int t = 0; t < T; t++) {
          causalSoftmaxRow(att, attBase + t * T, t + 1, T, scale);
        }
        sgemm.gemmOnThread(tid, false, false, T, hs, T, att, attBase, T, qkv, base + 2 * C, c3,
            out, outOff + b * T * C + h * hs, C, Sgemm.Part.A_LOWER);
      }
    });
  }

  /** row[0, n) = softmax(scale * row[0, n)); row[n, T) = 0. */
  private static void causalSoftmaxRow(float[] att, int row, int n, int T, float scale) {
    scaleRow(att, row, n, scale);
    float max = max(att, row, n);
    scaleRow(att, row, n, 1f / expSubtract(att, row, n, max));
    Arrays.fill(att, row + n, row + T, 0f);
  }

  @Override
  public void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff,
      float[] qkv, int qkvOff, float[] att, int attOff, int B, int T, int C, int NH) {
    int hs = C / NH;
    int c3 = 3 * C;
    float scale = (float) (1.0 / Math.sqrt(hs));
    int pairs = B * NH;
    ensureAttScratch(T * T);
    pool.run((tid, nt) -> {
      float[] dpre = attScratch[tid];
      for (int bh = WorkerPool.split(pairs, tid, nt); bh < WorkerPool.split(pairs, tid + 1, nt);
          bh++) {
        int b = bh / NH;
        int h = bh % NH;
        int base = qkvOff + b * T * c3 + h * hs;
        int dbase = dqkvOff + b * T * c3 + h * hs;
        int dobase = doutOff + b * T * C + h * hs;
        int attBase = attOff + bh * T * T;
        // datt = dout . v^T, then through the softmax: dpre = att * (datt - sum(att * datt)).
        sgemm.gemmOnThread(tid, false, true, T, T, hs, dout, dobase, C, qkv, base + 2 * C, c3,
            dpre, 0, T, Sgemm.Part.LOWER_C);
        for (int t = 0; t < T; t++) {
          softmaxBackwardRow(att, attBase + t * T, dpre, t * T, t + 1, T, scale);
        }
        // dq = dpre . k; dk = dpre^T . q; dv = att^T . dout: dpre and att are zero above the diagonal.
        sgemm.gemmOnThread(tid, false, false, T, hs, T, dpre, 0, T, qkv, base + C, c3, dqkv, dbase,
            c3, Sgemm.Part.A_LOWER);
        sgemm.gemmOnThread(tid, true, false, T, hs, T, dpre, 0, T, qkv, base, c3, dqkv,
            dbase + C, c3, Sgemm.Part.A_UPPER);
        sgemm.gemmOnThread(tid, true, false, T, hs, T, att, attBase, T, dout, dobase, C, dqkv,
            dbase + 2 * C, c3, Sgemm.Part.A_UPPER);
      }
    });
  }

  /** d[0, n) = p * (d - p . d) * scale over [0, n) (p the probabilities); d[n, T) = 0. */
  private static void softmaxBackwardRow(float[] p, int pOff, float[] d, int dOff, int n, int T,
      float scale) {
    float dot = dot(p, pOff, d, dOff, n);
    FloatVector dotv = FloatVector.broadcast(S, dot);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      FloatVector.fromArray(S, d, dOff + i).sub(dotv).mul(FloatVector.fromArray(S, p, pOff + i))
          .mul(scale).intoArray(d, dOff + i);
    }
    for (; i < n; i++) {
      d[dOff + i] = (d[dOff + i] - dot) * p[pOff + i] * scale;
    }
    Arrays.fill(d, dOff + n, dOff + T, 0f);
  }

  private static void scaleRow(float[] a, int off, int n, float s) {
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      FloatVector.fromArray(S, a, off + i).mul(s).intoArray(a, off + i);
    }
    for (; i < n; i++) {
      a[off + i] *= s;
    }
  }

  private void ensureAttScratch(int n) {
    for (int i = 0; i < attScratch.length; i++) {
      if (attScratch[i].length < n) {
        attScratch[i] = new float[n];
      }
    }
  }

  private static float max(float[] a, int off, int n) {
    FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      m = m.max(FloatVector.fromArray(S, a, off + i));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      max = Math.max(max, a[off + i]);
    }
    return max;
  }

  /** a = exp(a - max) over [off, off+n); returns the sum. */
  private static float expSubtract(float[] a, int off, int n, float max) {
    FloatVector mv = FloatVector.broadcast(S, max);
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      FloatVector e = VecMath.exp(FloatVector.fromArray(S, a, off + i).sub(mv));
      e.intoArray(a, off + i);
      acc = acc.add(e);
    }
    float sum = VecMath.sumLanes(acc);
    for (; i < n; i++) {
      float e = VecMath.exp(a[off + i] - max);
      a[off + i] = e;
      sum += e;
    }
    return sum;
  }

  // ---- GELU -----------------------------------------------------------------------------------

  @Override
  public void geluForward(float[] out, int outOff, float[] inp, int inpOff, int n) {
    elementwise(n, (tid, nt) -> {
      int i0 = vectorSplit(n, tid, nt);
      int i1 = vectorSplit(n, tid + 1, nt);
      int i = i0;
      for (; i + L <= i1; i += L) {
        FloatVector x = FloatVector.fromArray(S, inp, inpOff + i);
        FloatVector cube = x.mul(x).mul(x).mul(0.044715f);
        FloatVector th = VecMath.tanh(x.add(cube).mul(GELU_SCALE));
        x.mul(0.5f).mul(th.add(1f)).intoArray(out, outOff + i);
      }
      for (; i < i1; i++) {
        float x = inp[inpOff + i];
        float cube = x * x * x * 0.044715f;
        float th = VecMath.tanh((x + cube) * GELU_SCALE);
        out[outOff + i] = x * 0.5f * (th + 1f);
      }
    });
  }

  @Override
  public void geluBackward(float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout,
      int doutOff, int n) {
    elementwise(n, (tid, nt) -> {
      int i0 = vectorSplit(n, tid, nt);
      int i1 = vectorSplit(n, tid + 1, nt);
      int i = i0;
      // d/dx 0.5 x (1 + tanh(u)), u = s (x + 0.044715 x^3):
      // 0.5 (1 + tanh u) + 0.5 x sech^2(u) s (1 + 3 * 0.044715 x^2)
      // Two loops per block, tanh(u) parked in dinp: as one loop body C2 gave up on intrinsifying
      // its last multiply inside the training step (a profile showed the slow generic path).
      for (int blockEnd; i + L <= i1; ) {
        blockEnd = i + Math.min(GELU_BLOCK, (i1 - i) / L * L);
        for (int j = i; j < blockEnd; j += L) {
          FloatVector x = FloatVector.fromArray(S, inp, inpOff + j);
          VecMath.tanh(x.add(x.mul(x).mul(x).mul(0.044715f)).mul(GELU_SCALE))
              .intoArray(dinp, dinpOff + j);
        }
        for (int j = i; j < blockEnd; j += L) {
          FloatVector x = FloatVector.fromArray(S, inp, inpOff + j);
          FloatVector x2 = x.mul(x);
          FloatVector th = FloatVector.fromArray(S, dinp, dinpOff + j);
          FloatVector sech2 = th.mul(th).neg().add(1f);
          FloatVector local = th.add(1f).mul(0.5f)
              .add(x.mul(0.5f).mul(sech2).mul(GELU_SCALE).mul(x2.mul(3f * 0.044715f).add(1f)));
          local.mul(FloatVector.fromArray(S, dout, doutOff + j)).intoArray(dinp, dinpOff + j);
        }
        i = blockEnd;
      }
      // The same operations in the same order as the vector loop.
      for (; i < i1; i++) {
        float x = inp[inpOff + i];
        float x2 = x * x;
        float th = VecMath.tanh((x + x2 * x * 0.044715f) * GELU_SCALE);
        float sech2 = -(th * th) + 1f;
        float local = (th + 1f) * 0.5f
            + x * 0.5f * sech2 * GELU_SCALE * (x2 * (3f * 0.044715f) + 1f);
        dinp[dinpOff + i] = local * dout[doutOff + i];
      }
    });
  }

  // ---- residual -------------------------------------------------------------------------------

  @Override
  public void residualForward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff,
      int n) {
    elementwise(n, (tid, nt) -> {
      int i0 = vectorSplit(n, tid, nt);
      add(out, outOff + i0, a, aOff + i0, b, bOff + i0, vectorSplit(n, tid + 1, nt) - i0);
    });
  }

  // ---- softmax + cross-entropy ----------------------------------------------------------------

  @Override
  public void crossEntropyForward(float[] losses, int lossesOff, float[] stats, int statsOff,
      float[] logits, int logitsOff, int[] targets, int N, int V, int Vp) {
    pool.run((tid, nt) -> {
      for (int i = WorkerPool.split(N, tid, nt); i < WorkerPool.split(N, tid + 1, nt); i++) {
        int row = logitsOff + i * Vp;
        int target = targets[i];
        if (target < 0 || target >= V) {
          throw new IllegalArgumentException("target " + target + " at row " + i
              + " outside the vocabulary [0, " + V + ")");
        }
        // Only the first V columns take part: padding columns are -inf, probability zero.
        FloatVector maxv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int c = 0;
        for (; c < S.loopBound(V); c += L) {
          maxv = maxv.max(FloatVector.fromArray(S, logits, row + c));
        }
        float max = maxv.reduceLanes(VectorOperators.MAX);
        for (; c < V; c++) {
          max = Math.max(max, logits[row + c]);
        }
        FloatVector mv = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        c = 0;
        for (; c < S.loopBound(V); c += L) {
          acc = acc.add(VecMath.exp(FloatVector.fromArray(S, logits, row + c).sub(mv)));
        }
        float sum = VecMath.sumLanes(acc);
        for (; c < V; c++) {
          sum += VecMath.exp(logits[row + c] - max);
        }
        stats[statsOff + 2 * i] = max;
        stats[statsOff + 2 * i + 1] = sum;
        losses[lossesOff + i] = (float) (Math.log(sum) + max - logits[row + target]);
      }
    });
  }

  @Override
  public void crossEntropyBackward(float[] dlogits, int dlogitsOff, float[] logits,
      int logitsOff, float[] stats, int statsOff, int[] targets, float dloss, int N, int V,
      int Vp) {
    pool.run((tid, nt) -> {
      for (int i = WorkerPool.split(N, tid, nt); i < WorkerPool.split(N, tid + 1, nt); i++) {
        int row = logitsOff + i * Vp;
        int drow = dlogitsOff + i * Vp;
        float max = stats[statsOff + 2 * i];
        float scale = dloss / stats[statsOff + 2 * i + 1];
        FloatVector mv = FloatVector.broadcast(S, max);
        int c = 0;
        for (; c < S.loopBound(V); c += L) {
          VecMath.exp(FloatVector.fromArray(S, logits, row + c).sub(mv)).mul(scale)
              .intoArray(dlogits, drow + c);
        }
        for (; c < V; c++) {
          dlogits[drow + c] = VecMath.exp(logits[row + c] - max) * scale;
        }
        for (c = V; c < Vp; c++) {
          dlogits[drow + c] = 0f;
        }
        dlogits[drow + targets[i]] -= dloss;
      }
    });
  }

  // ---- optimizer support ----------------------------------------------------------------------

  @Override
  public void adamwUpdate(float[] param, float[] grad, float[] m, float[] v, int off, int n,
      float lr, float beta1, float beta2, float eps, float weightDecay, float bias1, float bias2) {
    float a1 = 1f - beta1;
    float a2 = 1f - beta2;
    elementwise(n, (tid, nt) -> {
      int i1 = off + vectorSplit(n, tid + 1, nt);
      int i = off + vectorSplit(n, tid, nt);
      for (; i + L <= i1; i += L) {
        FloatVector g = FloatVector.fromArray(S, grad, i);
        FloatVector p = FloatVector.fromArray(S, param, i);
        FloatVector mi = FloatVector.fromArray(S, m, i).mul(beta1).add(g.mul(a1));
        FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(g.mul(g).mul(a2));
        mi.intoArray(m, i);
        vi.intoArray(v, i);
        FloatVector upd = mi.div(bias1).div(vi.div(bias2).sqrt().add(eps));
        p.sub(upd.add(p.mul(weightDecay)).mul(lr)).intoArray(param, i);
      }
      for (; i < i1; i++) {
        float g = grad[i];
        float mi = beta1 * m[i] + a1 * g;
        float vi = beta2 * v[i] + a2 * (g * g);
        m[i] = mi;
        v[i] = vi;
        float upd = (mi / bias1) / ((float) Math.sqrt(vi / bias2) + eps);
        param[i] -= lr * (upd + weightDecay * param[i]);
      }
    });
  }

  @Override
  public double sumOfSquares(float[] x, int off, int n) {
    int chunks = (n + SUMSQ_CHUNK - 1) / SUMSQ_CHUNK;
    if (chunkSums.length < chunks) {
      chunkSums = new double[chunks];
    }
    double[] sums = chunkSums;
    WorkerPool.Task body = (tid, nt) -> {
      for (int k = WorkerPool.split(chunks, tid, nt); k < WorkerPool.split(chunks, tid + 1, nt);
          k++) {
        int i = off + k * SUMSQ_CHUNK;
        int end = Math.min(off + n, i + SUMSQ_CHUNK);
        double s = 0;
        // Float lanes over short blocks only, then double: float alone loses ~1e-4 over 64K terms.
        while (i + SUMSQ_BLOCK <= end) {
          FloatVector acc = FloatVector.zero(S);
          for (int blockEnd = i + SUMSQ_BLOCK; i < blockEnd; i += L) {
            FloatVector a = FloatVector.fromArray(S, x, i);
            acc = a.fma(a, acc);
          }
          s += VecMath.sumLanes(acc);
        }
        for (; i < end; i++) {
          s += (double) x[i] * x[i];
        }
        sums[k] = s;
      }
    };
    if (chunks > 1) {
      pool.run(body);
    } else {
      body.run(0, 1);
    }
    double total = 0;
    for (int k = 0; k < chunks; k++) {
      total += sums[k];
    }
    return total;
  }

  @Override
  public void scale(float[] x, int off, int n, float s) {
    elementwise(n, (tid, nt) -> {
      int i0 = vectorSplit(n, tid, nt);
      scaleRow(x, off + i0, vectorSplit(n, tid + 1, nt) - i0, s);
    });
  }

  @Override
  public void close() {
    pool.close();
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** out[oo, oo+n) = a[ao, ao+n) + b[bo, bo+n). */
  private static void add(float[] out, int oo, float[] a, int ao, float[] b, int bo, int n) {
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i))
          .intoArray(out, oo + i);
    }
    for (; i < n; i++) {
      out[oo + i] = a[ao + i] + b[bo + i];
    }
  }

  private static float sum(float[] a, int off, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      acc = acc.add(FloatVector.fromArray(S, a, off + i));
    }
    float s = VecMath.sumLanes(acc);
    for (; i < n; i++) {
      s += a[off + i];
    }
    return s;
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < S.loopBound(n); i += L) {
      acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
    }
    float s = VecMath.sumLanes(acc);
    for (; i < n; i++) {
      s += a[ao + i] * b[bo + i];
    }
    return s;
  }
}
