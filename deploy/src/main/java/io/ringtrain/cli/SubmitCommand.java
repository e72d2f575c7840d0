package io.ringtrain.cli;

import io.ringtrain.data.FileSystems;
import io.ringtrain.launch.spark.SparkCluster;
import io.ringtrain.launch.spark.SparkContexts;
import io.ringtrain.proto.JobSpec;
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

  @Override
  public Integer call() throws Exception {
    if (workers < 1) throw new IllegalArgumentException("--workers=" + workers + " must be > 0");
    job.workers = workers;
    JobSpec spec = job.resolve(FileSystems.configuration());
    SparkContexts.requireSpark("submit");
    // Executors run the kernels too: they need the Vector API module, as bin/ringtrain's JVM has it.
    sparkConf.putIfAbsent("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector -XX:+UseParallelGC");
    JavaSparkContext sc = SparkContexts.open(master.equals("spark") ? null : master, "ringtrain " + spec.getName(),
        sparkConf);
    try {
      String driverHost = sc.getConf().get("spark.driver.host");
      spec = spec.toBuilder().setCluster(spec.getCluster().toBuilder().setCoordinatorHost(driverHost)).build();
      return LocalRun.run(spec, null, System.out,
          new SparkCluster(sc, workers, driverHost, Duration.ofSeconds(slotWaitSeconds)));
    } finally {
      sc.stop();
    }
  }
}
