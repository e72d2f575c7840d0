package io.ringtrain.worker;

import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.coordinator.CoordinatorClient;
import io.ringtrain.data.FileSystems;
import io.ringtrain.kernels.Backend;
import io.ringtrain.proto.Assignment;
import io.ringtrain.proto.CheckpointReport;
import io.ringtrain.proto.EvalReport;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.proto.Peer;
import io.ringtrain.proto.StepReport;
import io.ringtrain.proto.Stop;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.train.Backends;
import io.ringtrain.train.StepResult;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingData;
import io.ringtrain.train.TrainingListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One worker process: joins the coordinator, connects the ring, trains its rank's share of every
 * step, and exits when the job ends. The job secret comes from the environment (RINGTRAIN_SECRET),
 * never the command line, where other users could read it.
 *
 * <p>Usage: {@code WorkerMain --coordinator HOST:PORT --job-id ID [--host RING_HOST] [--resume]}.
 * Exit codes: 0 done, 1 the job failed (a peer died, the loss diverged), 2 bad arguments.
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) {
    String coordinator = null;
    String jobId = null;
    String host = "127.0.0.1";
    boolean resume = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--coordinator" -> coordinator = args[++i];
        case "--job-id" -> jobId = args[++i];
        case "--host" -> host = args[++i];
        case "--resume" -> resume = true;
        default -> fail(2, "unknown argument " + args[i]);
      }
    }
    String secret = System.getenv("RINGTRAIN_SECRET");
    if (coordinator == null || jobId == null || secret == null) {
      fail(2, "usage: WorkerMain --coordinator HOST:PORT --job-id ID [--host H] [--resume], with RINGTRAIN_SECRET set");
    }
    int colon = coordinator.lastIndexOf(':');
    try {
      System.exit(run(coordinator.substring(0, colon), Integer.parseInt(coordinator.substring(colon + 1)), jobId, secret,
          host, resume));
    } catch (Exception e) {
      fail(1, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  static int run(String coordHost, int coordPort, String jobId, String secret, String host, boolean resume)
      throws Exception {
    // Listen before joining: the port announced at join is this worker's from the start, so no other
    // process can take it between the announcement and the ring's connect.
    try (RingPeer peer = RingPeer.listen(host, 0, 60_000);
         CoordinatorClient client = CoordinatorClient.join(coordHost, coordPort, jobId, secret, host, peer.port(), 120_000)) {
      Assignment a = client.assignment();
      JobSpec spec = a.getSpec();
      String who = "worker rank " + a.getRank();
      RingConfig ringConfig = RingConfig.of(a.getRank(), a.getWorldSize(), jobId, secret.getBytes(StandardCharsets.UTF_8))
          .withTimeouts(spec.getCluster().getFailureTimeoutMs(), 60_000);
      AtomicReference<Stop> stop = new AtomicReference<>();
      client.stopped().thenAccept(s -> {
        stop.set(s);
        if (s.getExitCode() != 0) peer.close(); // unblocks a pending all-reduce at once
      });
      Peer next = a.getRing((a.getRank() + 1) % a.getWorldSize());
      peer.connect(ringConfig, new InetSocketAddress(next.getHost(), next.getPort())).join();
      Configuration conf = FileSystems.configuration();
      Path runDir = new Path(spec.getOut());
      FileSystem fs = runDir.getFileSystem(conf);
      Checkpoints.Loaded from = resume ? Checkpoints.load(fs, Checkpoints.latest(fs, runDir).orElseThrow(
          () -> new IOException(runDir + " holds no complete checkpoint to resume from"))) : null;
      try (TrainingData data = TrainingData.open(spec, conf);
           Backend backend = Backends.create(spec.getCluster(), System.err)) {
        Trainer trainer = new Trainer(spec, backend, new RingCollective(peer), data.train(), data.val(), fs, runDir, from);
        trainer.run(new TrainingListener() {
          @Override
          public void onStep(StepResult r) {
            client.report(StepReport.newBuilder().setRank(a.getRank()).setStep(r.step()).setTotalSteps(r.totalSteps())
                .setLoss(r.loss()).setLr(r.lr()).setGradNorm(r.gradNorm()).setTokens(r.tokens())
                .setTokensSeen(r.tokensSeen()).setComputeMs(r.computeMs()).setAllreduceMs(r.syncMs())
                .setParamsDigest(r.paramsDigest()).build());
          }

          @Override
          public void onEval(long step, long tokensSeen, double valLoss) {
            if (a.getRank() == 0) {
              client.report(EvalReport.newBuilder().setStep(step).setTokens(tokensSeen).setValLoss(valLoss).build());
            }
          }

          @Override
          public void onCheckpoint(long step, Path dir) {
            client.report(CheckpointReport.newBuilder().setStep(step).setPath(dir.toString()).build());
          }
        });
      } catch (IOException | RuntimeException e) {
        Stop s = stop.get();
        if (s != null && s.getExitCode() != 0) throw new IOException(who + " stopped: " + s.getReason(), e);
        throw e;
      }
      client.finished();
    }
    return 0;
  }

  private static void fail(int code, String message) {
    System.err.println("ringtrain worker: " + message);
    System.exit(code);
  }
}
