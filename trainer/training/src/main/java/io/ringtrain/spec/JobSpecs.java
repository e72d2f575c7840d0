package io.ringtrain.spec;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import com.google.protobuf.util.JsonFormat;
import io.ringtrain.model.GptConfig;
import io.ringtrain.model.ParameterLayout;
import io.ringtrain.plan.MemoryEstimate;
import io.ringtrain.proto.CheckpointPolicy;
import io.ringtrain.proto.ClusterSpec;
import io.ringtrain.proto.DataSpec;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import io.ringtrain.proto.OptimizerSpec;
import io.ringtrain.proto.ScheduleSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads, defaults and validates {@link JobSpec}s. Every field of the proto is optional so that a
 * spec file says only what differs from the defaults; {@link #withDefaults} makes every field
 * present, and {@link #validate} names each rejected field with its value and the reason.
 */
public final class JobSpecs {
  public static final Set<String> BACKENDS = Set.of("java", "opencl", "auto");
  /** cluster.backend when neither a spec nor a flag names one: the Vector API kernels, which run everywhere. */
  public static final String DEFAULT_BACKEND = "java";
  /** cluster.wire_dtype: what the ring's worker module accepts (io.ringtrain.ring.WireDtype). */
  public static final List<String> WIRE_DTYPES = List.of("fp32", "bf16");
  /** A ring's latency grows with its length; past this many workers a job wants a tree, not a ring. */
  public static final int MAX_WORKERS = 1024;
  /** Far beyond any machine's cores: a bound that catches typos before they create the threads. */
  public static final int MAX_THREADS = 1024;

  private JobSpecs() {}

  /** Reads a spec from a .json file (protobuf JSON mapping) or any other file as text format. */
  public static JobSpec load(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return parse(text, file.toString().endsWith(".json"), file.toString());
  }

  public static JobSpec parse(String text, boolean json, String source) {
    JobSpec.Builder builder = JobSpec.newBuilder();
    try {
      if (json) {
        List<String> problems = jsonProblems(text);
        if (!problems.isEmpty()) throw new InvalidJobSpecException(source, problems);
        JsonFormat.parser().merge(text, builder);
      } else {
        TextFormat.merge(text, builder);
      }
    } catch (InvalidProtocolBufferException | TextFormat.ParseException e) {
      throw new InvalidJobSpecException(source, List.of(e.getMessage()));
    }
    return builder.build();
  }

  /**
   * Every unknown field and every value of the wrong type in a JSON spec, each by its path
   * ({@code model.n_head=2.5 must be a whole number (int32)}): JsonFormat alone stops at the
   * first and names no field. Each value is checked by JsonFormat itself, merged on its own.
   */
  static List<String> jsonProblems(String text) {
    JsonElement root;
    try {
      root = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      return List.of("not JSON: " + e.getMessage());
    }
    if (!root.isJsonObject()) return List.of("a JSON spec is one object, not " + root);
    List<String> problems = new ArrayList<>();
    checkJsonFields(root.getAsJsonObject(), JobSpec.getDescriptor(), "", problems);
    return problems;
  }

  private static void checkJsonFields(JsonObject object, Descriptor type, String prefix, List<String> problems) {
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      String path = prefix + e.getKey();
      FieldDescriptor field = type.getFields().stream()
          .filter(f -> f.getName().equals(e.getKey()) || f.getJsonName().equals(e.getKey())).findFirst().orElse(null);
      if (field == null) {
        problems.add(path + " is not a field of " + type.getName() + " (its fields: "
            + type.getFields().stream().map(FieldDescriptor::getName).toList() + ")");
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && e.getValue().isJsonObject()) {
        checkJsonFields(e.getValue().getAsJsonObject(), field.getMessageType(), path + ".", problems);
      } else {
        JsonObject alone = new JsonObject();
        alone.add(e.getKey(), e.getValue());
        try {
          JsonFormat.parser().merge(alone.toString(), DynamicMessage.newBuilder(type));
        } catch (InvalidProtocolBufferException bad) {
          problems.add(path + "=" + e.getValue() + " must be " + expected(field));
        }
      }
    }
  }

  private static String expected(FieldDescriptor field) {
    return switch (field.getJavaType()) {
      case INT -> "a whole number (int32)";
      case LONG -> "a whole number (int64)";
      case FLOAT, DOUBLE -> "a number";
      case BOOLEAN -> "true or false";
      case STRING -> "a string";
      case MESSAGE -> "an object";
      default -> "a " + field.getJavaType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  public static String toJson(JobSpec spec) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(spec);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The spec as it may be written to a file (spec.json, a checkpoint's manifest): with an empty
   * cluster.secret, as when none was given. The secret stays with the launcher, which hands it to
   * workers through their environment; a resumed run gets a fresh one or the user's again.
   */
  public static JobSpec withoutSecret(JobSpec spec) {
    return spec.toBuilder().setCluster(spec.getCluster().toBuilder().setSecret("")).build();
  }

  /** Fills every absent field with its default; fields already present are kept. */
  public static JobSpec withDefaults(JobSpec spec) {
    JobSpec.Builder b = spec.toBuilder();
    if (!b.hasName()) b.setName("ringtrain");
    if (!b.hasSeed()) b.setSeed(1337);
    if (!b.hasOut()) b.setOut("runs/" + b.getName());

    ModelSpec.Builder m = b.getModelBuilder();
    if (!m.hasNLayer()) m.setNLayer(4);
    if (!m.hasNHead()) m.setNHead(4);
    if (!m.hasNEmbd()) m.setNEmbd(128);
    if (!m.hasBlockSize()) m.setBlockSize(128);
    if (!m.hasVocabSize()) m.setVocabSize(4096);
    if (!m.hasVocabPadMultiple()) m.setVocabPadMultiple(GptConfig.DEFAULT_VOCAB_MULTIPLE);

    DataSpec.Builder d = b.getDataBuilder();
    if (!d.hasTrain()) d.setTrain("");
    if (!d.hasVal()) d.setVal("");
    if (!d.hasBatchSize()) d.setBatchSize(16);
    if (!d.hasTokenizer()) d.setTokenizer("");

    OptimizerSpec.Builder o = b.getOptimizerBuilder();
    if (!o.hasLr()) o.setLr(1e-3);
    if (!o.hasMinLrRatio()) o.setMinLrRatio(0.1);
    if (!o.hasBeta1()) o.setBeta1(0.9);
    if (!o.hasBeta2()) o.setBeta2(0.95);
    if (!o.hasEps()) o.setEps(1e-8);
    if (!o.hasWeightDecay()) o.setWeightDecay(0.1);
    if (!o.hasGradClip()) o.setGradClip(1.0);

    ScheduleSpec.Builder s = b.getScheduleBuilder();
    if (!s.hasSteps()) s.setSteps(0);
    if (!s.hasTokens()) s.setTokens(0);
    if (!s.hasTokensPerParam()) s.setTokensPerParam(20);
    if (!s.hasGradAccum()) s.setGradAccum(1);
    if (!s.hasWarmupFraction()) s.setWarmupFraction(0.05);
    if (!s.hasEvalInterval()) s.setEvalInterval(100);
    if (!s.hasEvalBatches()) s.setEvalBatches(8);
    if (!s.hasLogInterval()) s.setLogInterval(10);

    CheckpointPolicy.Builder c = b.getCheckpointBuilder();
    if (c.getAtFractionsCount() == 0) c.addAllAtFractions(java.util.List.of(0.25, 0.5, 0.75, 1.0));
    if (!c.hasEverySteps()) c.setEverySteps(0);
    if (!c.hasKeepLast()) c.setKeepLast(0);
    if (!c.hasEveryMinutes()) c.setEveryMinutes(0);
    if (!c.hasEveryAuto()) c.setEveryAuto(false);
    if (!c.hasMtbfHours()) c.setMtbfHours(24);

    ClusterSpec.Builder k = b.getClusterBuilder();
    if (!k.hasWorkers()) k.setWorkers(1);
    if (!k.hasThreads()) k.setThreads(Runtime.getRuntime().availableProcessors());
    if (!k.hasBackend()) k.setBackend(DEFAULT_BACKEND);
    if (!k.hasDevice()) k.setDevice("");
    if (!k.hasCoordinatorHost()) k.setCoordinatorHost("127.0.0.1");
    if (!k.hasCoordinatorPort()) k.setCoordinatorPort(0);
    if (!k.hasSecret()) k.setSecret("");
    if (!k.hasHeartbeatMs()) k.setHeartbeatMs(1000);
    if (!k.hasFailureTimeoutMs()) k.setFailureTimeoutMs(10_000);
    if (!k.hasMaxRestarts()) k.setMaxRestarts(3);
    if (!k.hasRestartBackoffMs()) k.setRestartBackoffMs(500);
    if (!k.hasWireDtype()) k.setWireDtype("fp32");
    if (!k.hasPeerRecovery()) k.setPeerRecovery(true);
    return b.build();
  }

  /** Returns every problem of a defaulted spec; empty when it can run. */
  public static List<String> problems(JobSpec spec) {
    List<String> p = new ArrayList<>();
    ModelSpec m = spec.getModel();
    positive(p, "model.n_layer", m.getNLayer());
    positive(p, "model.n_head", m.getNHead());
    positive(p, "model.n_embd", m.getNEmbd());
    positive(p, "model.block_size", m.getBlockSize());
    if (m.getNHead() > 0 && m.getNEmbd() > 0 && m.getNEmbd() % m.getNHead() != 0) {
      p.add("model.n_head=" + m.getNHead() + " does not divide model.n_embd=" + m.getNEmbd());
    }
    if (m.getVocabSize() < 2 || m.getVocabSize() > 65_535) {
      p.add("model.vocab_size=" + m.getVocabSize() + " is outside 2..65535 (token shards store uint16 ids)");
    }
    if (m.getVocabPadMultiple() < 1 || Integer.bitCount(m.getVocabPadMultiple()) != 1) {
      p.add("model.vocab_pad_multiple=" + m.getVocabPadMultiple() + " must be a power of two (64 or 128 are fast)");
    }
    if (p.isEmpty()) { // only a well-formed shape can be counted
      long floats = MemoryEstimate.parameterFloats(m);
      if (floats > ParameterLayout.MAX_FLOATS) {
        p.add("model.n_layer=" + m.getNLayer() + " with model.n_embd=" + m.getNEmbd() + " makes "
            + (floats == Long.MAX_VALUE ? "over 9.2e18" : String.valueOf(floats)) + " parameters, more than the "
            + ParameterLayout.MAX_FLOATS + " one Java float array holds: use fewer layers or a smaller width");
      }
    }

    positive(p, "data.batch_size", spec.getData().getBatchSize());

    OptimizerSpec o = spec.getOptimizer();
    if (!(o.getLr() > 0 && o.getLr() < 10)) p.add("optimizer.lr=" + o.getLr() + " must be in (0, 10)");
    if (!(o.getMinLrRatio() >= 0 && o.getMinLrRatio() <= 1)) {
      p.add("optimizer.min_lr_ratio=" + o.getMinLrRatio() + " must be in [0, 1]");
    }
    unitInterval(p, "optimizer.beta1", o.getBeta1());
    unitInterval(p, "optimizer.beta2", o.getBeta2());
    if (!(o.getEps() > 0)) p.add("optimizer.eps=" + o.getEps() + " must be > 0");
    if (!(o.getWeightDecay() >= 0)) p.add("optimizer.weight_decay=" + o.getWeightDecay() + " must be >= 0");
    if (!(o.getGradClip() >= 0)) p.add("optimizer.grad_clip=" + o.getGradClip() + " must be >= 0 (0 disables clipping)");

    ScheduleSpec s = spec.getSchedule();
    if (s.getSteps() < 0) p.add("schedule.steps=" + s.getSteps() + " must be >= 0");
    if (s.getTokens() < 0) p.add("schedule.tokens=" + s.getTokens() + " must be >= 0");
    if (s.getSteps() > 0 && s.getTokens() > 0) {
      p.add("schedule.steps=" + s.getSteps() + " and schedule.tokens=" + s.getTokens() + " both set: give one budget, or neither for the Chinchilla default");
    }
    if (!(s.getTokensPerParam() > 0)) p.add("schedule.tokens_per_param=" + s.getTokensPerParam() + " must be > 0");
    positive(p, "schedule.grad_accum", s.getGradAccum());
    if (!(s.getWarmupFraction() >= 0 && s.getWarmupFraction() < 1)) {
      p.add("schedule.warmup_fraction=" + s.getWarmupFraction() + " must be in [0, 1)");
    }
    if (s.getEvalInterval() < 0) p.add("schedule.eval_interval=" + s.getEvalInterval() + " must be >= 0 (0 disables)");
    positive(p, "schedule.eval_batches", s.getEvalBatches());
    positive(p, "schedule.log_interval", s.getLogInterval());

    CheckpointPolicy c = spec.getCheckpoint();
    for (double f : c.getAtFractionsList()) {
      if (!(f > 0 && f <= 1)) p.add("checkpoint.at_fractions holds " + f + ": each fraction of the budget must be in (0, 1]");
    }
    if (!(c.getEveryMinutes() >= 0)) p.add("checkpoint.every_minutes=" + c.getEveryMinutes() + " must be >= 0 (0: none)");
    if (c.getEveryAuto() && !(c.getMtbfHours() > 0)) {
      p.add("checkpoint.mtbf_hours=" + c.getMtbfHours() + " must be > 0 with checkpoint.every_auto");
    }
    if (c.getEveryAuto() && c.getEveryMinutes() > 0) {
      p.add("checkpoint.every_auto and checkpoint.every_minutes both set: choose the interval or let Young/Daly pick it");
    }
    if (c.getEverySteps() < 0) p.add("checkpoint.every_steps=" + c.getEverySteps() + " must be >= 0");
    if (c.getKeepLast() < 0) p.add("checkpoint.keep_last=" + c.getKeepLast() + " must be >= 0 (0 keeps all)");

    ClusterSpec k = spec.getCluster();
    atMost(p, "cluster.workers", k.getWorkers(), MAX_WORKERS, "workers in one ring");
    atMost(p, "cluster.threads", k.getThreads(), MAX_THREADS, "compute threads per worker; more than cores only slows");
    if (!BACKENDS.contains(k.getBackend())) {
      p.add("cluster.backend=\"" + k.getBackend() + "\" is not one of " + BACKENDS);
    }
    if (k.getCoordinatorPort() < 0 || k.getCoordinatorPort() > 65_535) {
      p.add("cluster.coordinator_port=" + k.getCoordinatorPort() + " is outside 0..65535 (0 picks a free port)");
    }
    positive(p, "cluster.heartbeat_ms", k.getHeartbeatMs());
    if (k.getFailureTimeoutMs() <= k.getHeartbeatMs()) {
      p.add("cluster.failure_timeout_ms=" + k.getFailureTimeoutMs() + " must exceed cluster.heartbeat_ms=" + k.getHeartbeatMs());
    }
    if (k.getMaxRestarts() < 0) p.add("cluster.max_restarts=" + k.getMaxRestarts() + " must be >= 0 (0: fail at the first loss)");
    if (k.getRestartBackoffMs() < 0) p.add("cluster.restart_backoff_ms=" + k.getRestartBackoffMs() + " must be >= 0");
    if (!WIRE_DTYPES.contains(k.getWireDtype())) {
      p.add("cluster.wire_dtype=\"" + k.getWireDtype() + "\" is not one of " + WIRE_DTYPES
          + " (fp32: exact; bf16: half the bytes on the wire, gradients rounded at each hop)");
    }
    return p;
  }

  /**
   * The spec run in one process with the same global batch: each of its workers becomes a
   * micro-batch of gradient accumulation (the data loader gives one rank of N·B the windows N ranks
   * of B see). Unchanged for one worker.
   */
  public static JobSpec inOneProcess(JobSpec spec) {
    int workers = spec.getCluster().getWorkers();
    if (workers <= 1) return spec;
    JobSpec.Builder b = spec.toBuilder();
    b.getClusterBuilder().setWorkers(1);
    b.getScheduleBuilder().setGradAccum(spec.getSchedule().getGradAccum() * workers);
    return b.build();
  }

  /** Defaults then validates; throws naming every problem at once. */
  public static JobSpec resolve(JobSpec spec, String source) {
    JobSpec full = withDefaults(spec);
    List<String> p = problems(full);
    if (!p.isEmpty()) throw new InvalidJobSpecException(source, p);
    return full;
  }

  private static void positive(List<String> p, String field, long value) {
    if (value <= 0) p.add(field + "=" + value + " must be > 0");
  }

  private static void atMost(List<String> p, String field, long value, long max, String what) {
    if (value <= 0 || value > max) p.add(field + "=" + value + " is outside 1.." + max + " (" + what + ")");
  }

  private static void unitInterval(List<String> p, String field, double value) {
    if (!(value >= 0 && value < 1)) p.add(field + "=" + value + " must be in [0, 1)");
  }
}
