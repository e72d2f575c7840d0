package io.ringtrain.hdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.CheckpointWriter;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.data.ShardSet;
import io.ringtrain.data.TokenShardWriter;
import io.ringtrain.kernels.JavaBackend;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import io.ringtrain.train.Collective;
import io.ringtrain.train.Trainer;
import io.ringtrain.train.TrainingListener;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A filesystem that fills up in the middle of a checkpoint: an HDFS space quota on a real
 * NameNode. The failed write leaves nothing that looks like a checkpoint, the previous one stays
 * intact, training goes on, and the run ends with the cause when its last checkpoint cannot be
 * written either; with space again it resumes from the intact one.
 */
@Tag("slow")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(MiniHdfs.Shared.class)
class FullHdfsCheckpointTest {
  /** This test's own corner of the shared cluster: its quota arithmetic counts only what lies below. */
  static final Path ROOT = new Path("/full-disk");

  @Test
  void aWriteThatRunsOutOfSpaceIsNeverHalfVisibleAndThePreviousCheckpointSurvives(MiniHdfs hdfs) throws Exception {
    // Small blocks: the quota is charged a block at a time, and these tensors are smaller than one.
    try (DistributedFileSystem fs = hdfs.fs(MiniHdfs.MIN_BLOCK_BYTES)) {
      Path data = new Path(ROOT, "data/train_000000.bin");
      TokenShardWriter w = new TokenShardWriter(fs, data);
      SplittableRandom r = new SplittableRandom(1);
      for (int i = 0; i < 20_000; i++) w.add(r.nextInt(50));
      w.commit();
      ShardSet train = ShardSet.open(hdfs.uri() + data, hdfs.conf());
      JobSpec spec = JobSpecs.resolve(JobSpecs.parse("model { n_layer: 1 n_head: 2 n_embd: 32 block_size: 16"
          + " vocab_size: 50 } data { batch_size: 2 } schedule { steps: 12 eval_interval: 0 }"
          + " checkpoint { every_steps: 4 at_fractions: 1 } seed: 3", false, "test"), "test");
      Path run = new Path(ROOT, "runs/full");
      List<String> failures = new CopyOnWriteArrayList<>();
      TrainingListener fillUpAfterTheFirst = new TrainingListener() {
        @Override
        public void onCheckpoint(CheckpointWriter.Committed c) throws IOException {
          if (c.step() != 4) return;
          // Room for the next file's first block and a little more: the checkpoint after fails midway.
          long used = fs.getContentSummary(ROOT).getSpaceConsumed();
          fs.setQuota(new Path(ROOT, "runs"), Long.MAX_VALUE, used + MiniHdfs.MIN_BLOCK_BYTES + 30_000);
        }

        @Override
        public void onCheckpointFailed(long step, boolean planned, String error) {
          failures.add(step + ": " + error);
        }
      };
      try (JavaBackend be = new JavaBackend(1)) {
        Trainer t = new Trainer(spec, be, Collective.single(), train, null, fs, run, null);
        IOException e = assertThrows(IOException.class, () -> t.run(fillUpAfterTheFirst));
        assertTrue(e.getMessage().contains("checkpoint of step 12 was not written") && e.getMessage().contains("uota"),
            e.getMessage());
        assertEquals(12, t.step(), "training went on past the failed writes");
      }
      assertEquals(2, failures.size(), failures.toString()); // 8, then the last one, 12
      assertTrue(failures.get(0).startsWith("8: checkpoint of step 8 was not written"), failures.toString());
      assertEquals(List.of("4"), Checkpoints.numbered(fs, run).stream().map(Path::getName).toList());
      assertEquals(List.of(), List.of(fs.listStatus(Checkpoints.checkpointsDir(run))).stream()
          .map(s -> s.getPath().getName()).filter(n -> n.startsWith(".")).toList(), "no temporary left behind");
      Checkpoints.Loaded intact = Checkpoints.load(fs, new Path(run, "checkpoints/4"));

      fs.setQuota(new Path(ROOT, "runs"), Long.MAX_VALUE, -1); // space again
      try (JavaBackend be = new JavaBackend(1)) {
        new Trainer(spec, be, Collective.single(), train, null, fs, run, intact).run(TrainingListener.NONE);
      }
      assertEquals(List.of("4", "8", "12"), Checkpoints.numbered(fs, run).stream().map(Path::getName).toList());
    }
  }
}
