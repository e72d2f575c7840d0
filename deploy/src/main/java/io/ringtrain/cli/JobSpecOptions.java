package io.ringtrain.cli;

import io.ringtrain.data.DatasetMeta;
import io.ringtrain.export.PretrainedWeights;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Trainer;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job spec as flags: {@code --spec FILE} first, then each flag overrides its field. Shared by
 * every command that starts a job (train, simulate, sweep runs), so the same flags mean the same
 * thing everywhere.
 */
public final class JobSpecOptions {
  @Option(names = "--spec", paramLabel = "FILE", description = "Job spec file (.json, or protobuf text format).")
  java.nio.file.Path specFile;

  @Option(names = "--name", description = "Job name.")
  String name;

  @Option(names = "--data", paramLabel = "PATH",
      description = "A dataset written by `tokenize` (its train/val shards, tokenizer and vocabulary are used), or train shards (file, directory or glob).")
  String data;

  @Option(names = "--val", paramLabel = "PATH", description = "Validation shards (default: the dataset's val_*.bin).")
  String val;

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory (spec.json, metrics.jsonl, checkpoints/).")
  String out;

  @Option(names = "--init-from", paramLabel = "DIR_OR_FILE",
      description = "init_from: start from pretrained weights, a Hugging Face GPT-2 folder (model.safetensors and config.json) or an llm.c checkpoint (gpt2_124M.bin); model flags left out take its shape.")
  String initFrom;

  @Option(names = "--layers", description = "model.n_layer") Integer layers;
  @Option(names = "--heads", description = "model.n_head") Integer heads;
  @Option(names = "--width", description = "model.n_embd") Integer width;
  @Option(names = "--context", description = "model.block_size (sequence length T)") Integer context;
  @Option(names = "--vocab", description = "model.vocab_size (default: the dataset's)") Integer vocab;
  @Option(names = "--batch", description = "data.batch_size: micro-batch B per worker") Integer batch;
  @Option(names = "--grad-accum", description = "schedule.grad_accum: micro-batches per step") Integer gradAccum;
  @Option(names = "--steps", description = "schedule.steps") Long steps;
  @Option(names = "--tokens", description = "schedule.tokens (budget in tokens)") Long tokens;
  @Option(names = "--tokens-per-param", description = "schedule.tokens_per_param (Chinchilla ratio, default 20)") Double tokensPerParam;
  @Option(names = "--warmup", description = "schedule.warmup_fraction") Double warmup;
  @Option(names = "--eval-interval", description = "schedule.eval_interval (steps; 0 disables)") Integer evalInterval;
  @Option(names = "--eval-batches", description = "schedule.eval_batches") Integer evalBatches;
  @Option(names = "--log-interval", description = "schedule.log_interval (steps between progress lines)") Integer logInterval;
  @Option(names = "--lr", description = "optimizer.lr (peak)") Double lr;
  @Option(names = "--weight-decay", description = "optimizer.weight_decay") Double weightDecay;
  @Option(names = "--grad-clip", description = "optimizer.grad_clip (0 disables)") Double gradClip;
  @Option(names = "--checkpoint-at", split = ",", paramLabel = "FRACTION",
      description = "checkpoint.at_fractions: planned checkpoints at these fractions of the token budget D (default 0.25,0.5,0.75,1)")
  List<Double> checkpointAt;
  @Option(names = "--checkpoint-every", description = "checkpoint.every_steps: a safety checkpoint every K steps") Long checkpointEvery;
  @Option(names = "--checkpoint-minutes", description = "checkpoint.every_minutes: a safety checkpoint every T minutes") Double checkpointMinutes;
  @Option(names = "--checkpoint-auto", description = "checkpoint.every_auto: safety checkpoints at Young/Daly's interval sqrt(2 MTBF C)") Boolean checkpointAuto;
  @Option(names = "--mtbf-hours", description = "checkpoint.mtbf_hours: the mean time between failures --checkpoint-auto assumes") Double mtbfHours;
  @Option(names = "--keep-last", description = "checkpoint.keep_last: safety checkpoints kept (0 keeps all; planned ones always stay)") Integer keepLast;
  @Option(names = "--seed", description = "seed") Long seed;
  @Option(names = "--threads", description = "cluster.threads: compute threads per worker") Integer threads;
  @Mixin BackendOptions backendOptions = new BackendOptions();
  @Option(names = "--coordinator-host", description = "cluster.coordinator_host: the address the coordinator binds and the workers reach (default 127.0.0.1)") String coordinatorHost;
  @Option(names = "--heartbeat-ms", description = "cluster.heartbeat_ms") Integer heartbeatMs;
  @Option(names = "--failure-timeout-ms", description = "cluster.failure_timeout_ms: a silent worker is declared dead after this") Integer failureTimeoutMs;
  @Option(names = "--max-restarts", description = "cluster.max_restarts: generations restarted after a lost worker (default 3)") Integer maxRestarts;
  @Option(names = "--wire-dtype", paramLabel = "fp32|bf16",
      description = "cluster.wire_dtype: precision of the gradients between workers (default fp32, exact; bf16 halves the bytes, rounding each hop's partial sums)")
  String wireDtype;
  @Option(names = "--peer-recovery", negatable = true, description = "cluster.peer_recovery: survivors of simulate hand their state to replacements (default); --no-peer-recovery restarts from the last checkpoint") Boolean peerRecovery;

  /** Set by the launcher commands (simulate: --workers), not a flag of its own. */
  Integer workers;

  /** The spec from file and flags, defaulted and validated; every bad field is named. */
  public JobSpec resolve(Configuration conf) throws IOException {
    JobSpec.Builder b = specFile == null ? JobSpec.newBuilder() : JobSpecs.load(specFile).toBuilder();
    if (name != null) b.setName(name);
    if (out != null) b.setOut(out);
    if (seed != null) b.setSeed(seed);
    if (data != null) useData(b, data, conf);
    if (val != null) b.getDataBuilder().setVal(val);
    var m = b.getModelBuilder();
    if (layers != null) m.setNLayer(layers);
    if (heads != null) m.setNHead(heads);
    if (width != null) m.setNEmbd(width);
    if (context != null) m.setBlockSize(context);
    if (vocab != null) m.setVocabSize(vocab);
    if (batch != null) b.getDataBuilder().setBatchSize(batch);
    var s = b.getScheduleBuilder();
    if (gradAccum != null) s.setGradAccum(gradAccum);
    if (steps != null) s.setSteps(steps);
    if (tokens != null) s.setTokens(tokens);
    if (tokensPerParam != null) s.setTokensPerParam(tokensPerParam);
    if (warmup != null) s.setWarmupFraction(warmup);
    if (evalInterval != null) s.setEvalInterval(evalInterval);
    if (evalBatches != null) s.setEvalBatches(evalBatches);
    if (logInterval != null) s.setLogInterval(logInterval);
    var o = b.getOptimizerBuilder();
    if (lr != null) o.setLr(lr);
    if (weightDecay != null) o.setWeightDecay(weightDecay);
    if (gradClip != null) o.setGradClip(gradClip);
    var c = b.getCheckpointBuilder();
    if (checkpointAt != null) c.clearAtFractions().addAllAtFractions(checkpointAt);
    if (checkpointEvery != null) c.setEverySteps(checkpointEvery);
    if (checkpointMinutes != null) c.setEveryMinutes(checkpointMinutes);
    if (checkpointAuto != null) c.setEveryAuto(checkpointAuto);
    if (mtbfHours != null) c.setMtbfHours(mtbfHours);
    if (keepLast != null) c.setKeepLast(keepLast);
    if (threads != null) b.getClusterBuilder().setThreads(threads);
    backendOptions.apply(b.getClusterBuilder());
    if (coordinatorHost != null) b.getClusterBuilder().setCoordinatorHost(coordinatorHost);
    if (heartbeatMs != null) b.getClusterBuilder().setHeartbeatMs(heartbeatMs);
    if (failureTimeoutMs != null) b.getClusterBuilder().setFailureTimeoutMs(failureTimeoutMs);
    if (maxRestarts != null) b.getClusterBuilder().setMaxRestarts(maxRestarts);
    if (wireDtype != null) b.getClusterBuilder().setWireDtype(wireDtype);
    if (peerRecovery != null) b.getClusterBuilder().setPeerRecovery(peerRecovery);
    if (workers != null) b.getClusterBuilder().setWorkers(workers);
    if (initFrom != null) b.setInitFrom(initFrom);
    PretrainedWeights pretrained = b.hasInitFrom() ? PretrainedWeights.open(b.getInitFrom()) : null;
    if (pretrained != null) takeShape(m, pretrained.shape());
    JobSpec spec = JobSpecs.resolve(b.build(), specFile == null ? "(from flags)" : specFile.toString());
    if (pretrained != null) pretrained.checkFits(Trainer.config(spec.getModel())); // before anything is written
    return spec;
  }

  /** The model fields that neither the spec nor a flag set come from the pretrained checkpoint. */
  private static void takeShape(ModelSpec.Builder m, PretrainedWeights.Shape s) {
    if (!m.hasNLayer()) m.setNLayer(s.nLayer());
    if (!m.hasNHead()) m.setNHead(s.nHead());
    if (!m.hasNEmbd()) m.setNEmbd(s.nEmbd());
    if (!m.hasBlockSize()) m.setBlockSize(s.positions());
    if (!m.hasVocabSize()) m.setVocabSize(s.vocabSize());
  }

  /** A tokenized dataset directory supplies shards, tokenizer and vocabulary; anything else is shards. */
  static void useData(JobSpec.Builder b, String data, Configuration conf) throws IOException {
    Path dir = new Path(data);
    DatasetMeta meta = DatasetMeta.read(dir.getFileSystem(conf), dir);
    if (meta == null) {
      b.getDataBuilder().setTrain(data);
      return;
    }
    b.getDataBuilder().setTrain(new Path(data, "train_*.bin").toString());
    if (meta.valTokens() > 0) b.getDataBuilder().setVal(new Path(data, "val_*.bin").toString());
    b.getDataBuilder().setTokenizer(new Path(data, "tokenizer.json").toString());
    if (!b.getModelBuilder().hasVocabSize()) b.getModelBuilder().setVocabSize(meta.vocabSize());
  }
}
