package io.ringtrain.kernels.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import io.ringtrain.kernels.Backend;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The training step's kernels on an OpenCL device through Aparapi: one {@link StepKernel}, so all
 * arrays share one set of device buffers, compiled once when the backend opens.
 *
 * <p>Residency: each array a call passes is mapped, by identity, to the kernel's field for its
 * role (parameters, gradients, activation arena, losses, tokens, AdamW moments). A new array in a
 * role is bound to it and uploaded whole at the next execution; {@link #hostWrote} uploads one the
 * host changed. Aparapi transfers whole arrays only.
 *
 * <p>The host copy of every array is current after every call, because Aparapi gives OpenCL the
 * addresses of the Java arrays, and the garbage collector may move an array between two calls.
 * Aparapi notices a move at the next execution and makes a new buffer from the array at its new
 * place; a buffer read before that reads the old place. So the device's results must never live
 * only on the device between calls:
 * <ul>
 *   <li>On a device that computes in host memory (PoCL and other CPU drivers, checked when the
 *       backend opens) the buffer is the Java array itself: results are in the array when the
 *       kernel ends and move with it. Nothing is ever copied, and nothing is read through a
 *       buffer that may be stale.</li>
 *   <li>On a device with memory of its own (a discrete GPU) the arrays a kernel wrote are read back
 *       right after it, so a buffer re-made from a moved array is made from current data. This
 *       costs a transfer per kernel that a non-moving heap would not need.</li>
 * </ul>
 *
 * <p>Deterministic: every output element is summed in a fixed order by one work-item (see
 * {@link StepKernel}).
 *
 * <p>Not thread-safe: one training thread drives it.
 */
public final class OpenClBackend implements Backend {
  private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);
  /** Names of StepKernel's ops, by op code (for the time per op). */
  private static final String[] OP_NAMES = {"nop", "encoder fwd", "encoder bwd", "layernorm fwd",
      "layernorm bwd dinp", "layernorm bwd dw db", "pack W^T", "pack W", "pack inp", "gemm",
      "matmul dbias", "attention fwd", "attention bwd dq", "attention bwd dk dv", "gelu fwd",
      "gelu bwd", "residual fwd", "cross-entropy fwd", "cross-entropy bwd",
      "adamw", "sum of squares", "scale", "zero"};

  /** The array roles of {@link StepKernel}. */
  private enum Role { PARAMS, GRADS, WORK, LOSSES, M, V, INPUTS, TARGETS }

  private final OpenClDevices.Info info;
  private final OpenCLDevice device;
  private final StepKernel k = new StepKernel();
  private final int gemmLocal;
  private final int rowLocal;
  private final int elemLocal;
  private final int elemChunk;
  private final Map<Object, Role> roleOf = new IdentityHashMap<>();
  private final Map<Role, Object> bound = new EnumMap<>(Role.class);
  private final LogTail log = new LogTail();
  private final long compileNanos;
  /** True when OpenCL computes in the Java arrays themselves (see the class comment). */
  private final boolean inHostMemory;
  private long transferNanos;
  private final long[] opNanos = new long[OP_NAMES.length];

  private OpenClBackend(OpenClDevices.Info info, boolean alwaysReadBack) {
    this.info = info;
    this.device = info.device();
    int maxWg = Math.max(1, info.maxWorkGroupSize());
    // PoCL (CPU) vectorises inside a work-item and runs a work-group's items in a loop: small
    // groups; a GPU wants warps/wavefronts of 32-64 items and more per group for simple kernels.
    boolean gpu = info.gpu();
    this.gemmLocal = Math.min(maxWg, gpu ? 64 : 16);
    this.rowLocal = Math.min(maxWg, gpu ? 64 : 4);
    this.elemLocal = Math.min(maxWg, gpu ? 256 : 16);
    this.elemChunk = gpu ? 1 : 256;
    k.setExplicit(true);
    Logger aparapi = Logger.getLogger("com.aparapi");
    aparapi.addHandler(log);
    long t0 = System.nanoTime();
    try {
      k.op = StepKernel.OP_NOP;
      k.count = 0;
      k.execute(device.createRange(elemLocal, elemLocal));
    } catch (RuntimeException | Error e) {
      k.dispose();
      throw new OpenClException(OpenClException.Kind.BUILD_FAILED, "the OpenCL kernel failed to"
          + " build or run on " + info.name() + ": " + e + log.text(), e);
    }
    compileNanos = System.nanoTime() - t0;
    if (!k.isRunningCL()) {
      String tail = log.text();
      k.dispose();
      boolean build = tail.toLowerCase(java.util.Locale.ROOT).contains("build")
          || tail.toLowerCase(java.util.Locale.ROOT).contains("compile");
      throw new OpenClException(build ? OpenClException.Kind.BUILD_FAILED
          : OpenClException.Kind.UNAVAILABLE, "OpenCL did not run on " + info.name()
          + ": Aparapi fell back to Java threads" + (tail.isEmpty() ? "" : tail));
    }
    inHostMemory = probeHostMemory() && !alwaysReadBack;
  }

  /**
   * Whether a kernel's result is in the Java array when the kernel ends, without a read: a sum of
   * squares of {3} into partials, which is then looked at directly.
   */
  private boolean probeHostMemory() {
    float[] probe = {3f};
    k.work = probe;
    k.sel = StepKernel.SEL_WORK;
    offsets(0, 1);
    exec(StepKernel.OP_SUMSQ, 1, elemLocal);
    boolean shared = k.partials[0] == 9f;
    if (!shared) {
      k.get(k.partials);
      if (k.partials[0] != 9f) {
        k.dispose();
        throw new OpenClException(OpenClException.Kind.BUILD_FAILED, "OpenCL on " + info.name()
            + " computed 3^2 = " + k.partials[0] + log.text());
      }
    }
    k.work = new float[1];
    return shared;
  }

  /** Opens the device {@code wanted} names (index or name substring; empty: first GPU, else first). */
  public static OpenClBackend open(String wanted) {
    return new OpenClBackend(OpenClDevices.choose(wanted), false);
  }

  /**
   * Opens a device as if it had memory of its own: the arrays each kernel writes are read back
   * after it even where the device computes in host memory. For testing that path on PoCL.
   */
  public static OpenClBackend openReadingBack(String wanted) {
    return new OpenClBackend(OpenClDevices.choose(wanted), true);
  }

  /** Opens a device from {@link OpenClDevices#list()}. */
  public static OpenClBackend open(OpenClDevices.Info device) {
    return new OpenClBackend(device, false);
  }

  // ---- what tests and benchmarks read ---------------------------------------------------------

  /** True when the kernel really ran as OpenCL (Aparapi did not fall back to Java threads). */
  public boolean isRunningCL() {
    return k.isRunningCL();
  }

  public OpenClDevices.Info device() {
    return info;
  }

  /** Translation to OpenCL plus the OpenCL build, once, when the backend opened. */
  public double compileMillis() {
    return compileNanos / 1e6;
  }

  /**
   * True when the device computes in the Java arrays themselves (a CPU driver such as PoCL):
   * nothing is copied between host and device. Tests use it to know which path they exercise.
   */
  public boolean computesInHostMemory() {
    return inHostMemory;
  }

  /** Time spent in explicit uploads and downloads (hostWrote, results read back, partials). */
  public double transferMillis() {
    return transferNanos / 1e6;
  }

  /** Kernel time per op so far, in ms, by op name (largest first). */
  public java.util.LinkedHashMap<String, Double> opMillis() {
    java.util.LinkedHashMap<String, Double> m = new java.util.LinkedHashMap<>();
    Integer[] order = new Integer[opNanos.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Long.compare(opNanos[b], opNanos[a]));
    for (int i : order) {
      if (opNanos[i] > 0) {
        m.put(OP_NAMES[i], opNanos[i] / 1e6);
      }
    }
    return m;
  }

  @Override
  public int threads() {
    return info.computeUnits();
  }

  @Override
  public boolean onDevice() {
    return true;
  }

  @Override
  public String describe() {
    return "opencl: " + info.name() + " (" + info.platform() + ", " + info.type() + ", "
        + info.computeUnits() + " compute units, " + (inHostMemory ? "computes in host memory"
        : "results read back after each kernel") + ")";
  }

  // ---- residency ------------------------------------------------------------------------------

  @Override
  public void hostWrote(float[] a) {
    upload(a);
  }

  @Override
  public void hostWrote(int[] a) {
    upload(a);
  }

  /** Marks a bound array for upload at the next execution, unless the device computes in it. */
  private void upload(Object a) {
    if (!inHostMemory && roleOf.containsKey(a)) {
      long t0 = System.nanoTime();
      if (a instanceof float[] f) {
        k.put(f);
      } else {
        k.put((int[]) a);
      }
      transferNanos += System.nanoTime() - t0;
    }
  }

  // hostReads: nothing to do, the host copy is always current (see the class comment).

  /** Binds {@code a} to {@code role} (uploaded at the next execution) unless it already is. */
  private void bind(Role role, Object a, String what) {
    Object cur = bound.get(role);
    if (cur == a) {
      return;
    }
    if (a == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    Role other = roleOf.get(a);
    if (other != null) {
      throw new IllegalArgumentException(what + " is already bound as the " + other
          + " array; the OpenCL backend needs it to be the " + role + " array, a different one");
    }
    long bytes = 4L * (a instanceof float[] f ? f.length : ((int[]) a).length);
    if (bytes > info.maxAllocBytes()) {
      throw new OpenClException(OpenClException.Kind.OUT_OF_MEMORY, "out of device memory: the "
          + role + " array needs " + mib(bytes) + " MiB, but " + info.name() + " allocates at most "
          + mib(info.maxAllocBytes()) + " MiB per buffer: use a smaller model, batch or block size");
    }
    long total = bytes;
    for (Map.Entry<Role, Object> e : bound.entrySet()) {
      if (e.getKey() != role) {
        Object b = e.getValue();
        total += 4L * (b instanceof float[] f ? f.length : ((int[]) b).length);
      }
    }
    if (total > info.globalMemBytes()) {
      throw new OpenClException(OpenClException.Kind.OUT_OF_MEMORY, "out of device memory: the"
          + " arrays need " + mib(total) + " MiB in all, " + info.name() + " has "
          + mib(info.globalMemBytes()) + " MiB");
    }
    if (cur != null) {
      roleOf.remove(cur);
    }
    roleOf.put(a, role);
    bound.put(role, a);
    switch (role) {
      case PARAMS -> k.params = (float[]) a;
      case GRADS -> k.grads = (float[]) a;
      case WORK -> k.work = (float[]) a;
      case LOSSES -> k.losses = (float[]) a;
      case M -> k.m = (float[]) a;
      case V -> k.v = (float[]) a;
      case INPUTS -> k.inputs = (int[]) a;
      case TARGETS -> k.targets = (int[]) a;
      default -> throw new AssertionError(role);
    }
  }

  private static long mib(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  private void work(float[]... arrays) {
    same(Role.WORK, "activation", arrays);
  }

  private void params(float[]... arrays) {
    same(Role.PARAMS, "parameter", arrays);
  }

  private void grads(float[]... arrays) {
    same(Role.GRADS, "gradient", arrays);
  }

  /** The non-null arrays of one call that share a role must be one array; binds it. */
  private void same(Role role, String what, float[]... arrays) {
    float[] first = null;
    for (float[] a : arrays) {
      if (a != null) {
        if (first == null) {
          first = a;
        } else if (a != first) {
          throw new IllegalArgumentException("the OpenCL backend keeps all " + what
              + " tensors of a call in one array (the " + role + " array at different offsets);"
              + " this call passed two different arrays");
        }
      }
    }
    if (first != null) {
      bind(role, first, "the " + what + " array");
    }
  }

  private void ensureScratch(long n) {
    if (n > Integer.MAX_VALUE - 8) {
      throw new OpenClException(OpenClException.Kind.OUT_OF_MEMORY, "a temporary of " + n
          + " floats does not fit one array");
    }
    if (k.scratch.length < n) {
      long bytes = 4L * n;
      if (bytes > info.maxAllocBytes()) {
        throw new OpenClException(OpenClException.Kind.OUT_OF_MEMORY, "out of device memory: a"
            + " temporary of " + mib(bytes) + " MiB exceeds " + info.name() + "'s "
            + mib(info.maxAllocBytes()) + " MiB per buffer");
      }
      k.scratch = new float[(int) n];
    }
  }

  /**
   * Runs an elementwise op over n elements. On a CPU each work-item takes a chunk of consecutive
   * elements: the prologue Aparapi generates per work-item (copying every kernel field into a
   * struct) then costs once per chunk, not once per element; a GPU takes one element per item.
   */
  private void execElements(int op, int n) {
    if (n <= 0) {
      return;
    }
    k.elems = n;
    exec(op, (n + elemChunk - 1) / elemChunk, elemLocal, n);
  }

  private void exec(int op, int count, int local) {
    k.elems = 0;
    exec(op, count, local, 0);
  }

  private void exec(int op, int count, int local, int elems) {
    if (count <= 0) {
      return;
    }
    k.elems = elems;
    k.chunk = elemChunk;
    k.op = op;
    k.count = count;
    int global = (int) ((count + (long) local - 1) / local * local);
    Range r = device.createRange(global, local);
    long t0 = System.nanoTime();
    k.execute(r);
    opNanos[op] += System.nanoTime() - t0;
    if (!k.isRunningCL()) {
      throw new OpenClException(OpenClException.Kind.UNAVAILABLE, "OpenCL stopped running on "
          + info.name() + " (Aparapi fell back to Java threads)" + log.text());
    }
  }

  /** The arrays the last kernel wrote: read back now unless the device computes in them. */
  private void wrote(float[]... arrays) {
    if (inHostMemory) {
      return;
    }
    for (float[] a : arrays) {
      if (a != null) {
        long t0 = System.nanoTime();
        k.get(a);
        transferNanos += System.nanoTime() - t0;
      }
    }
  }

  /** Sets the kernel's offset scalars o0, o1, ... in order. */
  private void offsets(int... o) {
    k.o0 = o[0];
    k.o1 = o[1];
    k.o2 = o.length > 2 ? o[2] : 0;
    k.o3 = o.length > 3 ? o[3] : 0;
    k.o4 = o.length > 4 ? o[4] : 0;
    k.o5 = o.length > 5 ? o[5] : 0;
  }

  private static int roundUp(int x, int m) {
    return (x + m - 1) / m * m;
  }

  // ---- encoder --------------------------------------------------------------------------------

  @Override
  public void encoderForward(float[] out, int outOff, int[] inp, float[] wte, int wteOff,
      float[] wpe, int wpeOff, int B, int T, int C) {
    work(out);
    params(wte, wpe);
    bind(Role.INPUTS, inp, "the token array");
    offsets(outOff, wteOff, wpeOff);
    k.dimT = T;
    k.dimC = C;
    execElements(StepKernel.OP_ENCODER_FWD, B * T * C);
    wrote(out);
  }

  @Override
  public void encoderBackward(float[] dwte, int dwteOff, float[] dwpe, int dwpeOff, float[] dout,
      int doutOff, int[] inp, int B, int T, int C) {
    grads(dwte, dwpe);
    work(dout);
    bind(Role.INPUTS, inp, "the token array");
    offsets(dwteOff, dwpeOff, doutOff);
    k.dimB = B;
    k.dimT = T;
    k.dimC = C;
    exec(StepKernel.OP_ENCODER_BWD, C, rowLocal);
    wrote(dwte);
  }

  // ---- LayerNorm ------------------------------------------------------------------------------

  @Override
  public void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd,
      int rstdOff, float[] inp, int inpOff, float[] w, int wOff, float[] b, int bOff, int N,
      int C) {
    work(out, mean, rstd, inp);
    params(w, b);
    offsets(outOff, meanOff, rstdOff, inpOff, wOff, bOff);
    k.dimC = C;
    exec(StepKernel.OP_LN_FWD, N, rowLocal);
    wrote(out);
  }

  @Override
  public void layernormBackward(float[] dinp, int dinpOff, float[] dw, int dwOff, float[] db,
      int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
      float[] mean, int meanOff, float[] rstd, int rstdOff, int N, int C) {
    work(dinp, dout, inp, mean, rstd);
    grads(dw, db);
    params(w);
    offsets(dinpOff, doutOff, inpOff, meanOff, rstdOff, wOff);
    k.dimC = C;
    exec(StepKernel.OP_LN_BWD_DINP, N, rowLocal);
    offsets(dwOff, dbOff, doutOff, inpOff, meanOff, rstdOff);
    k.rows = N;
    exec(StepKernel.OP_LN_BWD_DWDB, C, rowLocal);
    wrote(dinp, dw);
  }

  // ---- matmul ---------------------------------------------------------------------------------

  /** The tiled gemm over the packed B operand in scratch; see {@link StepKernel}. */
  private void gemm(int rows, int cols, int depth, int aOff, int aRowStride, int aKStride,
      int outOff, boolean accumulate, int biasOff, boolean hasBias) {
    k.rows = rows;
    k.cols = cols;
    k.depth = depth;
    k.o0 = aOff;
    k.aRowStride = aRowStride;
    k.aKStride = aKStride;
    k.ldb = roundUp(cols, StepKernel.TILE_C);
    k.o1 = outOff;
    k.o2 = biasOff;
    k.accumulate = accumulate ? 1 : 0;
    k.hasBias = hasBias ? 1 : 0;
    int tiles = (rows + StepKernel.TILE_R - 1) / StepKernel.TILE_R * (k.ldb / StepKernel.TILE_C);
    exec(StepKernel.OP_GEMM, tiles, gemmLocal);
  }

  /** Packs a rows x cols matrix at off into scratch (leading dimension ldb), as the op says. */
  private void pack(int op, int off, int rows, int cols, int packedRows) {
    int ldb = roundUp(op == StepKernel.OP_PACK_PARAMS_T ? rows : cols, StepKernel.TILE_C);
    ensureScratch((long) packedRows * ldb);
    k.o0 = off;
    k.rows = rows;
    k.cols = cols;
    k.ldb = ldb;
    execElements(op, packedRows * ldb);
  }

  @Override
  public void matmulForward(float[] out, int outOff, float[] inp, int inpOff, float[] weight,
      int wOff, float[] bias, int bOff, int N, int C, int OC) {
    work(out, inp);
    params(weight, bias);
    // B(k, j) = weight[j, k]: packed transposed so that a work-item's 16 columns are contiguous.
    pack(StepKernel.OP_PACK_PARAMS_T, wOff, OC, C, C);
    gemm(N, OC, C, inpOff, C, 1, outOff, false, bOff, bias != null);
    wrote(out);
  }

  @Override
  public void matmulBackward(float[] dinp, int dinpOff, float[] dweight, int dwOff, float[] dbias,
      int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] weight, int wOff,
      int N, int C, int OC) {
    work(dinp, dout, inp);
    grads(dweight, dbias);
    params(weight);
    // dinp (N x C) = dout (N x OC) . weight (OC x C)
    pack(StepKernel.OP_PACK_PARAMS, wOff, OC, C, OC);
    gemm(N, C, OC, doutOff, OC, 1, dinpOff, false, 0, false);
    // dweight (OC x C) += dout^T (OC x N) . inp (N x C)
    pack(StepKernel.OP_PACK_WORK, inpOff, N, C, N);
    gemm(OC, C, N, doutOff, 1, OC, dwOff, true, 0, false);
    if (dbias != null) {
      offsets(dbOff, doutOff);
      k.rows = N;
      k.cols = OC;
      exec(StepKernel.OP_DBIAS, OC, rowLocal);
    }
    wrote(dinp, dweight);
  }

  // ---- attention ------------------------------------------------------------------------------

  private void attentionShape(int B, int T, int C, int NH) {
    if (C % NH != 0) {
      throw new IllegalArgumentException("C=" + C + " is not a multiple of NH=" + NH);
    }
    k.dimB = B;
    k.dimT = T;
    k.dimC = C;
    k.dimNH = NH;
    k.f0 = (float) (1.0 / Math.sqrt(C / NH));
  }

  @Override
  public void attentionForward(float[] out, int outOff, float[] att, int attOff, float[] qkv,
      int qkvOff, int B, int T, int C, int NH) {
    work(out, att, qkv);
    attentionShape(B, T, C, NH);
    offsets(outOff, attOff, qkvOff);
    exec(StepKernel.OP_ATT_FWD, B * NH * T, rowLocal);
    wrote(out);
  }

  @Override
  public void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff,
      float[] qkv, int qkvOff, float[] att, int attOff, int B, int T, int C, int NH) {
    work(dqkv, dout, qkv, att);
    attentionShape(B, T, C, NH);
    ensureScratch((long) B * NH * T * T);
    offsets(dqkvOff, doutOff, qkvOff, attOff);
    exec(StepKernel.OP_ATT_BWD_DQ, B * NH * T, rowLocal);
    exec(StepKernel.OP_ATT_BWD_DKV, B * NH * T, rowLocal);
    wrote(dqkv);
  }

  // ---- elementwise ----------------------------------------------------------------------------

  /** An elementwise op over n items: o0 = out's offset, o1 and o2 the inputs' (work array). */
  private void elementwise(int op, int n, float[] out, int outOff, int in1Off, int in2Off) {
    offsets(outOff, in1Off, in2Off);
    k.f0 = GELU_SCALE;
    execElements(op, n);
    wrote(out);
  }

  @Override
  public void geluForward(float[] out, int outOff, float[] inp, int inpOff, int n) {
    work(out, inp);
    elementwise(StepKernel.OP_GELU_FWD, n, out, outOff, inpOff, 0);
  }

  @Override
  public void geluBackward(float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout,
      int doutOff, int n) {
    work(dinp, inp, dout);
    elementwise(StepKernel.OP_GELU_BWD, n, dinp, dinpOff, inpOff, doutOff);
  }

  @Override
  public void residualForward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff,
      int n) {
    work(out, a, b);
    elementwise(StepKernel.OP_RESIDUAL_FWD, n, out, outOff, aOff, bOff);
  }

  // ---- softmax + cross-entropy ----------------------------------------------------------------

  @Override
  public void crossEntropyForward(float[] losses, int lossesOff, float[] stats, int statsOff,
      float[] logits, int logitsOff, int[] targets, int N, int V, int Vp) {
    bind(Role.LOSSES, losses, "the losses array");
    bind(Role.LOSSES, stats, "the softmax statistics array (must be the losses array)");
    work(logits);
    bind(Role.TARGETS, targets, "the targets array");
    // The host copy of the tokens is always current (the host writes them): check them here,
    // since the kernel cannot throw.
    for (int i = 0; i < N; i++) {
      if (targets[i] < 0 || targets[i] >= V) {
        throw new IllegalArgumentException("target " + targets[i] + " at row " + i
            + " outside the vocabulary [0, " + V + ")");
      }
    }
    offsets(lossesOff, statsOff, logitsOff);
    k.vocab = V;
    k.paddedVocab = Vp;
    exec(StepKernel.OP_CE_FWD, N, rowLocal);
    wrote(losses);
  }

  @Override
  public void crossEntropyBackward(float[] dlogits, int dlogitsOff, float[] logits,
      int logitsOff, float[] stats, int statsOff, int[] targets, float dloss, int N, int V,
      int Vp) {
    work(dlogits, logits);
    bind(Role.LOSSES, stats, "the softmax statistics array");
    bind(Role.TARGETS, targets, "the targets array");
    offsets(dlogitsOff, logitsOff, statsOff);
    k.vocab = V;
    k.paddedVocab = Vp;
    k.f0 = dloss;
    execElements(StepKernel.OP_CE_BWD, N * Vp);
    wrote(dlogits);
  }

  // ---- optimizer support ----------------------------------------------------------------------

  @Override
  public void adamwUpdate(float[] param, float[] grad, float[] m, float[] v, int off, int n,
      float lr, float beta1, float beta2, float eps, float weightDecay, float bias1, float bias2) {
    params(param);
    grads(grad);
    bind(Role.M, m, "the AdamW first moment");
    bind(Role.V, v, "the AdamW second moment");
    k.o0 = off;
    k.f0 = lr;
    k.f1 = beta1;
    k.f2 = beta2;
    k.f3 = eps;
    k.f4 = weightDecay;
    k.f5 = bias1;
    k.f6 = bias2;
    execElements(StepKernel.OP_ADAMW, n);
    wrote(param, m, v);
  }

  /** The selector of a bound array for the any-role ops, or -1 when it is not bound. */
  private int selector(float[] x) {
    Role r = roleOf.get(x);
    if (r == Role.PARAMS) {
      return StepKernel.SEL_PARAMS;
    }
    if (r == Role.GRADS) {
      return StepKernel.SEL_GRADS;
    }
    if (r == Role.WORK) {
      return StepKernel.SEL_WORK;
    }
    return -1;
  }

  @Override
  public double sumOfSquares(float[] x, int off, int n) {
    int sel = selector(x);
    if (sel < 0) {
      // Not on the device: the host copy is the current one.
      double s = 0;
      for (int i = off; i < off + n; i++) {
        s += (double) x[i] * x[i];
      }
      return s;
    }
    int blocks = (n + StepKernel.SUMSQ_BLOCK - 1) / StepKernel.SUMSQ_BLOCK;
    if (k.partials.length < blocks) {
      k.partials = new float[blocks];
    }
    k.sel = sel;
    offsets(off, n);
    exec(StepKernel.OP_SUMSQ, blocks, elemLocal);
    wrote(k.partials);
    double total = 0;
    for (int b = 0; b < blocks; b++) {
      total += k.partials[b];
    }
    return total;
  }

  @Override
  public void scale(float[] x, int off, int n, float s) {
    int sel = selector(x);
    if (sel < 0) {
      for (int i = off; i < off + n; i++) {
        x[i] *= s;
      }
      return;
    }
    k.sel = sel;
    k.o0 = off;
    k.f0 = s;
    execElements(StepKernel.OP_SCALE, n);
    wrote(x);
  }

  @Override
  public void zero(float[] x, int off, int n) {
    int sel = selector(x);
    if (sel < 0) {
      java.util.Arrays.fill(x, off, off + n, 0f);
      return;
    }
    k.sel = sel;
    k.o0 = off;
    execElements(StepKernel.OP_ZERO, n);
    wrote(x);
  }

  @Override
  public void close() {
    k.dispose();
    Logger.getLogger("com.aparapi").removeHandler(log);
  }

  /** The last few warnings Aparapi logged: the reason for a fallback, the OpenCL build log. */
  private static final class LogTail extends Handler {
    private final Deque<String> lines = new ArrayDeque<>();

    @Override
    public synchronized void publish(LogRecord r) {
      if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
        String msg = r.getMessage();
        if (r.getThrown() != null) {
          msg = msg + ": " + r.getThrown();
        }
        lines.addLast(msg);
        while (lines.size() > 8) {
          lines.removeFirst();
        }
      }
    }

    synchronized String text() {
      return lines.isEmpty() ? "" : "\n  Aparapi said: " + String.join("\n  ", lines);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
