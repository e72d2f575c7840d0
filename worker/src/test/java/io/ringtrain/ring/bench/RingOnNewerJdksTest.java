package io.ringtrain.ring.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Java 17 is the floor, not the ceiling: the ring's Vector API code must run on the JDKs users
 * have now. The incubator API changed under it once (JDK 19 replaced the ByteBuffer loads of 17
 * with MemorySegment ones, and a ring built on them failed at its first frame on 21 and 25), so
 * this runs the all-reduce bench, parent and ranks, on every newer JDK installed here (under
 * /usr/lib/jvm, or the java homes in RINGTRAIN_TEST_JAVA_HOMES, colon-separated), in fp32 and bf16.
 */
@Tag("slow")
@Timeout(180)
class RingOnNewerJdksTest {
  private static final Pattern VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+)");

  @Test
  void theRingSumsCorrectlyOnEveryNewerJdkInstalled() throws Exception {
    List<Path> homes = newerJdks();
    Assumptions.assumeFalse(homes.isEmpty(), "no JDK newer than " + Runtime.version().feature()
        + " under /usr/lib/jvm or in RINGTRAIN_TEST_JAVA_HOMES: nothing to check here");
    for (Path home : homes) {
      for (String dtype : List.of("fp32", "bf16")) {
        List<String> command = new ArrayList<>(ChildJvm.command(AllReduceBench.class,
            "--workers", "3", "--mib", "1", "--iterations", "2", "--warmup-seconds", "0",
            "--wire-dtype", dtype, "--json"));
        command.set(0, home.resolve("bin/java").toString());
        Process bench = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(bench.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bench.waitFor(60, TimeUnit.SECONDS), home + " " + dtype + ": still running");
        // The parent fails unless every rank checked every float of its sum.
        assertEquals(0, bench.exitValue(), home + " " + dtype + ":\n" + out);
        assertTrue(out.contains("{\"workers\":3,\"bytes\":1048576,\"wire_dtype\":\"" + dtype + "\""),
            home + " " + dtype + ":\n" + out);
      }
    }
  }

  private static List<Path> newerJdks() throws IOException {
    String listed = System.getenv("RINGTRAIN_TEST_JAVA_HOMES");
    List<Path> candidates = new ArrayList<>();
    if (listed != null && !listed.isBlank()) {
      Arrays.stream(listed.split(":")).map(Path::of).forEach(candidates::add);
    } else if (Files.isDirectory(Path.of("/usr/lib/jvm"))) {
      try (Stream<Path> dirs = Files.list(Path.of("/usr/lib/jvm"))) {
        dirs.sorted().forEach(candidates::add);
      }
    }
    List<Path> newer = new ArrayList<>();
    for (Path home : candidates) {
      Path release = home.resolve("release");
      if (Files.isRegularFile(release) && Files.isExecutable(home.resolve("bin/java"))) {
        Matcher m = VERSION.matcher(Files.readString(release));
        if (m.find() && Integer.parseInt(m.group(1)) > Runtime.version().feature()
            && !home.toRealPath().equals(Path.of(System.getProperty("java.home")).toRealPath())) {
          newer.add(home);
        }
      }
    }
    return newer;
  }
}
