package io.ringtrain.launch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

/** spark-submit --master yarn --deploy-mode cluster to Hadoop's MiniYARNCluster. */
@Tag("slow")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MiniYarnClusterTest {
  @TempDir Path tmp;

  @Test
  void aBarrierAppInClusterModeWritesWhatItsTasksGathered() throws Exception {
    Path result = tmp.resolve("gathered.txt");
    Path log = tmp.resolve("spark-submit.log");
    try (MiniYarn yarn = new MiniYarn(tmp)) {
      // MiniYARNCluster ignores yarn.nodemanager.resource.memory-mb: containers above its own 4 GB waited for ever.
      assertEquals(MiniYarn.NODE_MEMORY_MB, yarn.clusterMemoryMb(), "the node's memory as the ResourceManager sees it");
      int exit = yarn.submitInClusterMode(log, 150, List.of("--class", YarnProbeApp.class.getName(),
          "--num-executors", "2", "--executor-cores", "1", "--executor-memory", "512m", "--driver-memory", "512m",
          MiniYarn.placeholderAppJar(tmp).toString(), result.toString()));
      assertEquals(0, exit, MiniYarn.tail(log) + "\n" + yarn.applicationReports());
    }
    // FINISHED alone proves little in cluster mode: check what the application wrote.
    assertTrue(Files.exists(result), "the application wrote nothing");
    List<String> lines = Files.readAllLines(result);
    assertEquals(2, lines.size(), lines.toString());
    for (String line : lines) assertEquals("0,1", line.split(" in ")[0], lines.toString());
  }
}
