package io.ringtrain.cli;

import io.ringtrain.bench.TrainStepBench;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.model.GptConfig;
import io.ringtrain.plan.StepTimeEstimate;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.spec.JobSpecs;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain estimate}: predicted step time and scaling efficiency over the ring. */
@Command(
    name = "estimate",
    mixinStandardHelpOptions = true,
    description = {
      "Predict the step time and scaling efficiency of N workers from one worker's compute time per micro-batch",
      "(--compute-ms, or --measure to time it with `bench train`) and a link's bandwidth and latency: an alpha-beta",
      "model of the ring as the trainer runs it (one all-reduce per layer, each started as the last micro-batch's",
      "backward completes it; the embeddings last). Efficiency is one worker's throughput in the cluster over its",
      "throughput alone."
    })
public final class EstimateCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "L",
      description = "Shape as `bench train` has it: S, M or L (GPT-2 124M: 12 layers, width 768, vocab 50304; default ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--context", description = "Context length T (default: the model's; --compute-ms must be for it).")
  Integer context;

  @Option(names = "--batch", description = "Micro-batch B per worker, for tokens/s (default: the model's).")
  Integer batch;

  @Option(names = "--compute-ms", description = "One worker's forward and backward of one micro-batch, in ms (bench train's ms per step).")
  Double computeMs;

  @Option(names = "--measure", description = "Measure the compute time with `bench train --model M` on this machine first.")
  boolean measure;

  @Option(names = "--threads", defaultValue = "0", description = "Compute threads for --measure (default: all cores).")
  int threads;

  @Option(names = "--workers", split = ",", defaultValue = "2,8,64,256", description = "Worker counts (default ${DEFAULT-VALUE}).")
  List<Integer> workers;

  @Option(names = "--grad-accum", split = ",", defaultValue = "1", description = "Micro-batches per step (default ${DEFAULT-VALUE}).")
  List<Integer> gradAccum;

  @Option(names = "--wire-dtype", split = ",", defaultValue = "fp32,bf16", description = "Wire precisions (default ${DEFAULT-VALUE}).")
  List<String> wireDtypes;

  @Option(names = "--link-gbit", defaultValue = "25", description = "Each link's bandwidth, Gbit/s one way (default ${DEFAULT-VALUE}).")
  double linkGbit;

  @Option(names = "--latency-us", defaultValue = "20", description = "Each hop's latency, microseconds (default ${DEFAULT-VALUE}).")
  double latencyUs;

  @Option(names = "--sub-chunk-kib", defaultValue = "" + RingConfig.DEFAULT_SUB_CHUNK_FLOATS * Float.BYTES / 1024,
      description = "The ring's frame size in KiB of fp32 (default ${DEFAULT-VALUE}, as the ring has it).")
  int subChunkKib;

  @Option(names = "--json", description = "Print a JSON array.")
  boolean json;

  /** The ring's largest frame, 16 MiB. */
  private static final int MAX_SUB_CHUNK_KIB = 16 * 1024;

  @Override
  public Integer call() {
    if (measure == (computeMs != null)) {
      throw new IllegalArgumentException("give the compute time per micro-batch: --compute-ms MS or --measure (one of them)");
    }
    TrainStepBench.Shape shape = TrainStepBench.shape(model);
    int t = context != null ? context : shape.context();
    int b = batch != null ? batch : shape.batch();
    if (t < 1 || b < 1) throw new IllegalArgumentException("--context and --batch must be > 0");
    if (!(linkGbit > 0) || !(latencyUs >= 0)) {
      throw new IllegalArgumentException("--link-gbit must be > 0 and --latency-us >= 0");
    }
    if (subChunkKib < 1 || subChunkKib > MAX_SUB_CHUNK_KIB) {
      throw new IllegalArgumentException("--sub-chunk-kib=" + subChunkKib + " is outside 1.." + MAX_SUB_CHUNK_KIB);
    }
    for (int n : workers) {
      if (n < 1 || n > JobSpecs.MAX_WORKERS) throw new IllegalArgumentException("--workers " + n + " is outside 1.." + JobSpecs.MAX_WORKERS);
    }
    for (int a : gradAccum) {
      if (a < 1) throw new IllegalArgumentException("--grad-accum " + a + " must be > 0");
    }
    List<WireDtype> dtypes = wireDtypes.stream().map(WireDtype::of).toList();
    double micro;
    if (measure) {
      TrainStepBench.Result r = TrainStepBench.run(model,
          threads > 0 ? threads : Runtime.getRuntime().availableProcessors(), 10);
      micro = r.msPerStep();
      System.err.printf(Locale.ROOT, "measured: %s%n", r);
    } else {
      micro = computeMs;
      if (!(micro > 0)) throw new IllegalArgumentException("--compute-ms must be > 0");
    }
    GptConfig config = GptConfig.of(shape.nLayer(), shape.nHead(), shape.nEmbd(), t, shape.vocab());
    List<StepTimeEstimate.Bucket> buckets = StepTimeEstimate.buckets(config);
    StepTimeEstimate.Link link = StepTimeEstimate.Link.gbit(linkGbit, latencyUs);
    int subFloats = subChunkKib * 1024 / Float.BYTES;
    List<StepTimeEstimate.Result> rows = new ArrayList<>();
    for (int n : workers) {
      for (int a : gradAccum) {
        for (WireDtype d : dtypes) {
          rows.add(StepTimeEstimate.estimate(buckets, n, a, micro, d.spelling(), d.bytes(), link, subFloats));
        }
      }
    }
    PrintStream out = System.out;
    if (json) {
      out.println(rows.stream().map(StepTimeEstimate.Result::toJson).collect(Collectors.joining(",\n ", "[", "]")));
      return ExitCodes.OK;
    }
    out.printf(Locale.ROOT, "model %s: %d layers, width %d, context %d, vocab %d (%,d parameters, %d all-reduces a step);"
            + " %.1f ms compute per micro-batch of %d x %d tokens; links %.1f Gbit/s, %.0f us a hop%n",
        shape.name(), shape.nLayer(), shape.nEmbd(), t, shape.vocab(),
        buckets.stream().mapToLong(StepTimeEstimate.Bucket::floats).sum(), buckets.size(), micro, b, t,
        linkGbit, latencyUs);
    out.println("| workers | accum | wire | compute ms | ring ms | exposed ms | step ms | efficiency | tokens/s |");
    out.println("|---|---|---|---|---|---|---|---|---|");
    for (StepTimeEstimate.Result r : rows) {
      double tokens = (double) r.workers() * r.gradAccum() * b * t / (r.stepMs() / 1e3);
      out.printf(Locale.ROOT, "| %d | %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f%% | %,.0f |%n", r.workers(),
          r.gradAccum(), r.wireDtype(), r.computeMs(), r.ringMs(), r.exposedMs(), r.stepMs(),
          100 * r.efficiency(), tokens);
    }
    out.println("ring ms: the all-reduces alone, back to back; exposed ms: what of them outlasts the compute.");
    return ExitCodes.OK;
  }
}
