package io.ringtrain.plan;

import io.ringtrain.model.ActivationLayout;
import io.ringtrain.model.GptConfig;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.ModelSpec;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Optional;

/**
 * About how much heap one worker of a job needs, known before anything is allocated, so that a
 * model that cannot fit is refused by name instead of ending in an OutOfMemoryError.
 *
 * <p>A worker holds four float arrays of the padded parameter count (parameters, gradients and
 * AdamW's two moments), the activation arena for its micro-batch, and a few B×T int and float
 * arrays (tokens, targets, per-row loss statistics). The JVM's own footprint comes on top.
 */
public record MemoryEstimate(long parameterFloats, long activationFloats, long bytes) {
  static final int PARAMETER_COPIES = 4;
  /** Per-row loss statistics (3 floats) and tokens and targets (2 ints) in the model, 2 ints in the trainer. */
  static final int BYTES_PER_TOKEN_SLOT = 7 * Float.BYTES;
  /** What a worker JVM takes beyond its arrays: code, metaspace, Netty buffers, thread stacks. */
  public static final long JVM_OVERHEAD_BYTES = 64L << 20;

  /** Parameters as stored, vocabulary padding included; Long.MAX_VALUE when that overflows a long. */
  public static long parameterFloats(ModelSpec m) {
    try {
      long padded = GptConfig.of(1, 1, 1, 1, m.getVocabSize(), m.getVocabPadMultiple()).paddedVocabSize();
      return Math.addExact(TrainingPlan.params(m), Math.multiplyExact(padded - m.getVocabSize(), (long) m.getNEmbd()));
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The estimate for one worker of a defaulted, valid spec. */
  public static MemoryEstimate of(JobSpec spec) {
    ModelSpec m = spec.getModel();
    GptConfig config = GptConfig.of(m.getNLayer(), m.getNHead(), m.getNEmbd(), m.getBlockSize(), m.getVocabSize(),
        m.getVocabPadMultiple());
    int batch = spec.getData().getBatchSize();
    long params = parameterFloats(m);
    long activations = new ActivationLayout(config, batch, m.getBlockSize()).floats();
    double bytes = (double) Float.BYTES * (PARAMETER_COPIES * (double) params + activations)
        + (double) BYTES_PER_TOKEN_SLOT * batch * m.getBlockSize();
    return new MemoryEstimate(params, activations, bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes);
  }

  /**
   * Why one worker cannot run in {@code heapBytes} of heap ({@code heapSource} says whose heap
   * that is and how to raise it), or empty when it fits.
   */
  public Optional<String> problem(JobSpec spec, long heapBytes, String heapSource) {
    int batch = spec.getData().getBatchSize();
    int context = spec.getModel().getBlockSize();
    if (activationFloats > ActivationLayout.MAX_FLOATS) {
      return Optional.of(String.format(Locale.ROOT, "activations for data.batch_size=%d × model.block_size=%d need"
          + " %d floats, more than one Java array holds (%d): use fewer layers or a smaller batch or block size",
          batch, context, activationFloats, ActivationLayout.MAX_FLOATS));
    }
    if (bytes > heapBytes) {
      return Optional.of(String.format(Locale.ROOT, "the model needs about %s per worker (%d× %s parameter floats"
          + " for weights, gradients and AdamW, plus %s for the activations of batch %d × context %d) but %s: use"
          + " fewer layers, a smaller width, batch or context, or a larger heap",
          gib(bytes), PARAMETER_COPIES, human(parameterFloats), gib((long) Float.BYTES * activationFloats), batch,
          context, heapSource));
    }
    return Optional.empty();
  }

  /** Physical memory of this machine (or its container's limit). */
  public static long physicalMemoryBytes() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getTotalMemorySize();
  }

  /** The heap a JVM started without -Xmx gets here: a quarter of the memory (MaxRAMPercentage=25). */
  public static long defaultHeapBytes() {
    return physicalMemoryBytes() / 4;
  }

  public static String gib(long bytes) {
    return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  private static String human(long v) {
    return io.ringtrain.progress.ProgressLine.human(v);
  }
}
