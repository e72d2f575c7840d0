package io.ringtrain.cli;

import io.ringtrain.data.HadoopConf;
import io.ringtrain.proto.JobSpec;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ringtrain simulate}: the cluster on one machine, one JVM per worker. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run a job as a local cluster: this JVM hosts the coordinator and starts N worker JVMs that all-reduce",
      "gradients over a Netty ring on 127.0.0.1. Same spec, same global batch, same result as `train`.",
      "RINGTRAIN_WORKER_HOSTS=NETNS@ADDRESS,... starts rank i in network namespace i mod n, bound to that address",
      "(bench/cluster-netns.sh makes such hosts; give --coordinator-host an address they reach; docs/cluster.md)."
    })
public final class SimulateCommand implements Callable<Integer> {
  @Option(names = "--workers", required = true, description = "Worker JVMs (cluster.workers).")
  int workers;

  @Mixin JobSpecOptions job;

  @Mixin MetricsOptions metrics;

  @Override
  public Integer call() throws Exception {
    if (workers < 1) throw new IllegalArgumentException("--workers=" + workers + " must be > 0");
    job.workers = workers;
    JobSpec spec = job.resolve(HadoopConf.configuration());
    return TrainingJob.run(spec, null, System.out, metrics);
  }
}
