package io.ringtrain.cli;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.spark.SparkCluster;
import io.ringtrain.launch.spark.SparkContexts;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.worker.ChildJvm;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain submit}: the job through Spark, which places one worker per barrier task. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a job through Spark: this JVM is the driver and hosts the coordinator, and one barrier stage of",
      "--workers tasks runs one worker each (rank = partition id), on local[N], local-cluster[N,c,MB],",
      "spark://... or YARN. The same spec gives the same result as `simulate`. A lost worker ends the stage;",
      "the driver relaunches it from the newest intact checkpoint (cluster.max_restarts times).",
      "For YARN's cluster mode, run this command through deploy/spark/submit-yarn.sh with --master spark."
    })
public final class SubmitCommand implements Callable<Integer> {
  @Option(names = "--master", required = true,
      description = "local[N], local-cluster[N,cores,MB], spark://host:port, yarn, or spark (spark-submit's master).")
  String master;

  @Option(names = "--workers", required = true, description = "Barrier tasks, one worker each (cluster.workers).")
  int workers;

  @Option(names = "--slot-wait-seconds", defaultValue = "120",
      description = "How long to wait for --workers free task slots before failing (default ${DEFAULT-VALUE}).")
  int slotWaitSeconds;

  @Option(names = "--conf", paramLabel = "KEY=VALUE",
      description = "A Spark setting, as spark-submit's --conf (repeatable).")
  java.util.Map<String, String> sparkConf = new java.util.LinkedHashMap<>();

  @Mixin JobSpecOptions job;

  @Mixin MetricsOptions metrics;

  private static final String EXECUTOR_OPTIONS = "spark.executor.extraJavaOptions";

  /**
   * The spec with every path made absolute against this JVM's filesystem and directory: an
   * executor runs in a directory of its own, where "runs/demo/data" names nothing.
   */
  static JobSpec qualified(JobSpec spec) throws java.io.IOException {
    org.apache.hadoop.conf.Configuration conf = HadoopConf.configuration();
    JobSpec.Builder b = spec.toBuilder();
    b.setOut(qualify(spec.getOut(), conf));
    if (spec.hasInitFrom()) b.setInitFrom(qualify(spec.getInitFrom(), conf));
    b.getDataBuilder().setTrain(qualify(spec.getData().getTrain(), conf))
        .setVal(qualify(spec.getData().getVal(), conf)).setTokenizer(qualify(spec.getData().getTokenizer(), conf));
    return b.build();
  }

  private static String qualify(String path, org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
    if (path.isEmpty()) return path;
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
    return p.getFileSystem(conf).makeQualified(p).toString();
  }

  @Override
  public Integer call() throws Exception {
    if (workers < 1) throw new IllegalArgumentException("--workers=" + workers + " must be > 0");
    job.workers = workers;
    JobSpec spec = job.resolve(HadoopConf.configuration());
    SparkContexts.requireSpark("submit");
    // Executors run the kernels too: they need the Vector API module, as bin/ringtrain's JVM has it,
    // unless spark-submit or --conf already chose their options.
    if (!new org.apache.spark.SparkConf().contains(EXECUTOR_OPTIONS)) {
      sparkConf.putIfAbsent(EXECUTOR_OPTIONS, String.join(" ", ChildJvm.FLAGS));
    }
    JavaSparkContext sc = SparkContexts.open(master.equals("spark") ? null : master, "ringtrain " + spec.getName(),
        sparkConf);
    try {
      String driverHost = sc.getConf().get("spark.driver.host");
      spec = qualified(spec).toBuilder().setCluster(spec.getCluster().toBuilder().setCoordinatorHost(driverHost))
          .build();
      return TrainingJob.run(spec, null, System.out,
          new SparkCluster(sc, workers, driverHost, Duration.ofSeconds(slotWaitSeconds)), metrics);
    } finally {
      sc.stop();
    }
  }
}
