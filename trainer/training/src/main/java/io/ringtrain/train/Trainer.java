package io.ringtrain.train;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.DataLoader;
import io.ringtrain.data.ShardSet;
import io.ringtrain.export.PretrainedWeights;
import io.ringtrain.kernels.Backend;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.GptModel;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.model.Rng;
import io.ringtrain.optim.AdamW;
import io.ringtrain.optim.GradClip;
import io.ringtrain.optim.LrSchedule;
import io.ringtrain.plan.TrainingPlan;
import io.ringtrain.proto.CheckpointManifest;
import io.ringtrain.proto.DataCursor;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.proto.OptimizerSpec;
import io.ringtrain.spec.JobSpecs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntConsumer;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The training loop of one rank: micro-batches forward and backward, the gradients summed over
 * ranks, clipping, AdamW, evaluation and checkpoints on the plan's schedule.
 *
 * <p>Everything a later step depends on — parameters, AdamW moments and step count, the data
 * cursor — is in the checkpoint, and the kernels are deterministic for a fixed thread count, so a
 * resumed run repeats the uninterrupted run's losses bit for bit.
 */
public final class Trainer {
  /** Collective tags: gradient buckets use 0..segments-1; evaluation uses this one. */
  static final int EVAL_TAG = 1 << 20;

  private final JobSpec spec;
  private final TrainingPlan plan;
  private final Collective collective;
  private final GptModel model;
  private final AdamW adamw;
  private final LrSchedule schedule;
  private final DataLoader loader;
  private final EvalBatches eval;
  private final int batch;
  private final int seqLen;
  private final int[] inputs;
  private final int[] targets;
  private final CheckpointWriter writer;
  private long step;
  private DataCursor stepCursor; // the data cursor after the last completed step
  private float[] hostGradients; // a device backend's gradients, staged on the host for the ring

  /**
   * A rank of a fresh run (parameters from the spec's seed), or of a resumed one when
   * {@code resumeFrom} is given.
   */
  public Trainer(JobSpec spec, Backend backend, Collective collective, ShardSet train, ShardSet val,
      FileSystem fs, Path runDir, Checkpoints.Loaded resumeFrom) throws IOException {
    this.spec = spec;
    this.plan = TrainingPlan.of(spec);
    this.collective = collective;
    ModelSpec m = spec.getModel();
    this.model = new GptModel(config(m), backend);
    model.initialize(new Rng(spec.getSeed()));
    // init_from: pretrained weights replace the initialisation (a resumed run has its own).
    if (resumeFrom == null && spec.hasInitFrom()) PretrainedWeights.open(spec.getInitFrom()).loadInto(model);
    OptimizerSpec o = spec.getOptimizer();
    this.adamw = new AdamW(model.layout(), (float) o.getBeta1(), (float) o.getBeta2(), (float) o.getEps(),
        (float) o.getWeightDecay());
    this.schedule = new LrSchedule(o.getLr(), plan.warmupSteps(), plan.steps(), o.getMinLrRatio());
    this.batch = spec.getData().getBatchSize();
    this.seqLen = m.getBlockSize();
    this.loader = new DataLoader(train, collective.rank(), collective.world(), batch, seqLen, spec.getSeed());
    int accum = spec.getSchedule().getGradAccum();
    this.eval = val == null ? null
        : new EvalBatches(val, batch, seqLen, spec.getSchedule().getEvalBatches(), collective.world() * accum);
    this.inputs = new int[batch * seqLen];
    this.targets = new int[batch * seqLen];
    this.writer = new CheckpointWriter(fs, runDir, spec.getCheckpoint().getKeepLast());
    if (resumeFrom != null) restore(resumeFrom);
    this.stepCursor = loader.cursor();
  }

  private float[] hostGradients(int n) {
    if (hostGradients == null || hostGradients.length != n) {
      hostGradients = new float[n];
    }
    return hostGradients;
  }

  public static GptConfig config(ModelSpec m) {
    return GptConfig.of(m.getNLayer(), m.getNHead(), m.getNEmbd(), m.getBlockSize(), m.getVocabSize(),
        m.getVocabPadMultiple());
  }

  public GptModel model() {
    return model;
  }

  public TrainingPlan plan() {
    return plan;
  }

  /** Steps completed so far. */
  public long step() {
    return step;
  }

  /** Tokens consumed by all ranks so far. */
  public long tokensSeen() {
    return step * plan.tokensPerStep();
  }

  /** Runs from the current step to the end of the plan. */
  public void run(TrainingListener listener) throws IOException {
    run(listener, CheckpointRequests.NONE);
  }

  /**
   * Runs from the current step to the end of the plan, saving after the plan's steps and after
   * those {@code requests} asks for; returns once the last checkpoint is committed.
   */
  public void run(TrainingListener listener, CheckpointRequests requests) throws IOException {
    int evalEvery = spec.getSchedule().getEvalInterval();
    // A run from pretrained weights is scored before it trains, so its curve starts where they stand.
    if (step == 0 && spec.hasInitFrom() && eval != null && evalEvery > 0) listener.onEval(0, 0, validationLoss());
    CompletableFuture<CheckpointWriter.Committed> lastSave = CompletableFuture.completedFuture(null);
    try {
      while (step < plan.steps()) {
        StepResult r = trainStep(listener);
        listener.onStep(r);
        boolean last = step == plan.steps();
        if (eval != null && evalEvery > 0 && (step % evalEvery == 0 || last)) {
          listener.onEval(step, tokensSeen(), validationLoss());
        }
        if (plan.checkpoints().saves(step) || requests.dueAt(step)) lastSave = saveCheckpoint(listener);
      }
      writer.awaitIdle();
      lastSave.join(); // the end of training is saved, or the run fails with the reason
    } catch (CompletionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } finally {
      writer.close();
    }
  }

  /** One optimizer step; returns what happened. */
  public StepResult trainStep() throws IOException {
    return trainStep(TrainingListener.NONE);
  }

  private StepResult trainStep(TrainingListener listener) throws IOException {
    long t0 = System.nanoTime();
    int accum = spec.getSchedule().getGradAccum();
    model.zeroGrad();
    double loss = 0;
    Backend be = model.backend();
    float[] grads = model.grads();
    ParameterLayout layout = model.layout();
    // With a device backend the ring works on a host copy: each finished segment is copied out
    // of the (whole-array) download, so later downloads never overwrite reduced segments.
    boolean staged = collective.world() > 1 && be.onDevice();
    float[] reduced = staged ? hostGradients(grads.length) : grads;
    IntConsumer startAllReduce = segment -> {
      int from = layout.segmentStart(segment);
      int len = layout.segmentEnd(segment) - from;
      if (staged) {
        be.hostReads(grads);
        System.arraycopy(grads, from, reduced, from, len);
      }
      try {
        collective.allReduceGradients(step, segment, reduced, from, len);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    for (int micro = 0; micro < accum; micro++) {
      loader.next(inputs, targets);
      loss += model.forward(inputs, targets, batch, seqLen);
      boolean last = micro == accum - 1;
      if (last) listener.onLoss(step + 1, loss / accum);
      // The last micro-batch completes each segment's gradient: its all-reduce starts right away.
      model.backward(last ? startAllReduce : segment -> {});
    }
    loss /= accum;
    long t1 = System.nanoTime();
    collective.await(step);
    if (staged) {
      System.arraycopy(reduced, 0, grads, 0, grads.length);
      be.hostWrote(grads);
    }
    long t2 = System.nanoTime();
    double lr = schedule.lr(step);
    double norm = update(model, adamw, accum * collective.world(), spec.getOptimizer().getGradClip(), loss,
        (float) lr, step);
    step++;
    stepCursor = loader.cursor();
    long t3 = System.nanoTime();
    return new StepResult(step, plan.steps(), loss, lr, norm, (long) accum * batch * seqLen, tokensSeen(),
        (t1 - t0 + t3 - t2) / 1e6, (t2 - t1) / 1e6, ParamsDigest.of(model.hostParams()));
  }

  /**
   * The update once the gradients of {@code count} micro-batches are summed: their mean, clipped to
   * norm {@code clip} (0: measured only), then AdamW at {@code lr}. Returns the norm before clipping.
   * When the loss or the norm is not finite it throws before AdamW touches the parameters;
   * {@code step} (steps done before this one) names the step in that message.
   */
  static double update(GptModel model, AdamW adamw, int count, double clip, double loss, float lr, long step) {
    Backend be = model.backend();
    float[] grads = model.grads();
    if (count > 1) be.scale(grads, 0, grads.length, 1f / count); // times 1 is exact: no pass for it
    double norm = clip > 0 ? GradClip.clip(be, grads, clip) : GradClip.norm(be, grads, 0, grads.length);
    if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
      throw new TrainingDivergedException("training diverged at step " + (step + 1) + ": loss=" + loss
          + " gradient norm=" + norm + ". Nothing was saved for this step; lower optimizer.lr or raise"
          + " schedule.warmup_fraction and resume from the last checkpoint");
    }
    adamw.step(be, model.params(), grads, lr);
    return norm;
  }

  /**
   * One step on one given batch, without a data loader or a collective: zero the gradients,
   * forward, backward, then the trainer's own {@link #update}. What the training-step bench times
   * and the model tests train with, so that neither keeps a copy of the step. Returns the loss.
   */
  public static float singleBatchStep(GptModel model, AdamW adamw, int[] inputs, int[] targets, int batch,
      int seqLen, double clip, float lr, long step) {
    model.zeroGrad();
    float loss = model.forward(inputs, targets, batch, seqLen);
    model.backward();
    update(model, adamw, 1, clip, loss, lr, step);
    return loss;
  }

  /**
   * Mean loss over the evaluation batches, each of the global batch's size: every rank scores its
   * own chunks of each, as it would train on them, and the sums are added up over the ranks.
   */
  public double validationLoss() throws IOException {
    int accum = spec.getSchedule().getGradAccum();
    float[] sum = new float[1];
    for (int k = 0; k < eval.batches(); k++) {
      for (int c = collective.rank() * accum; c < (collective.rank() + 1) * accum; c++) {
        sum[0] += (float) eval.loss(model, k, c);
      }
    }
    collective.allReduceSum(step, EVAL_TAG, sum, 0, 1);
    collective.await(step);
    return sum[0] / ((double) eval.batches() * eval.chunksPerBatch());
  }

  /** Saves the current state now (rank 0) and waits for the commit; null on other ranks. */
  public CheckpointWriter.Committed save() throws IOException {
    try {
      return saveCheckpoint(TrainingListener.NONE).join();
    } catch (CompletionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The state after the last completed step, as a checkpoint of it would hold it, in this trainer's
   * own arrays: for a trainer whose run ended, even part-way through a step (a step's updates are
   * applied only once its all-reduce is complete), to hand its state on without a copy. It must not
   * train again.
   */
  public Checkpoints.Loaded state(Path source) {
    return new Checkpoints.Loaded(source, manifest(), tensors());
  }

  private CheckpointManifest manifest() {
    return CheckpointManifest.newBuilder().setSpec(JobSpecs.withoutSecret(spec)).setStep(step)
        .setTokensSeen(tokensSeen()).setCursor(stepCursor).setRunId(spec.getRunId())
        .setPlanned(plan.checkpoints().isPlanned(step)).build();
  }

  /** Parameters and AdamW moments, current on the host. */
  private Map<String, float[]> tensors() {
    Map<String, float[]> tensors = new LinkedHashMap<>();
    Backend be = model.backend();
    be.hostReads(adamw.m());
    be.hostReads(adamw.v());
    tensors.put("params", model.hostParams());
    tensors.put("adam_m", adamw.m());
    tensors.put("adam_v", adamw.v());
    return tensors;
  }

  /**
   * Rank 0 copies the state aside and writes it in the background (every rank holds the same
   * state); the listener hears of the commit, or of the failure, from the writer's thread.
   */
  private CompletableFuture<CheckpointWriter.Committed> saveCheckpoint(TrainingListener listener) {
    if (collective.rank() != 0) return CompletableFuture.completedFuture(null);
    CheckpointManifest manifest = manifest();
    Map<String, float[]> tensors = tensors();
    long savedStep = step;
    boolean planned = manifest.getPlanned();
    return writer.save(manifest, tensors).whenComplete((c, failure) -> {
      try {
        if (failure == null) {
          listener.onCheckpoint(c);
        } else {
          listener.onCheckpointFailed(savedStep, planned, failure.getCause() != null ? failure.getCause().getMessage()
              : failure.getMessage());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private void restore(Checkpoints.Loaded c) {
    ModelSpec saved = c.manifest().getSpec().getModel();
    ModelSpec now = spec.getModel();
    if (!config(saved).equals(config(now))) {
      throw new IllegalArgumentException("checkpoint " + c.dir() + " holds a model of shape "
          + Checkpoints.shape(saved) + " but this job's model is " + Checkpoints.shape(now)
          + ": use the job's own run directory or matching model flags");
    }
    copy(c, "params", model.params());
    copy(c, "adam_m", adamw.m());
    copy(c, "adam_v", adamw.v());
    model.paramsWritten();
    model.backend().hostWrote(adamw.m());
    model.backend().hostWrote(adamw.v());
    step = c.manifest().getStep();
    adamw.setStepCount(step);
    loader.restore(c.manifest().getCursor());
  }

  private static void copy(Checkpoints.Loaded c, String name, float[] into) {
    float[] from = c.tensors().get(name);
    if (from == null || from.length != into.length) {
      throw new IllegalArgumentException("checkpoint " + c.dir() + " has no " + name + " tensor of " + into.length
          + " floats");
    }
    System.arraycopy(from, 0, into, 0, into.length);
  }

}
