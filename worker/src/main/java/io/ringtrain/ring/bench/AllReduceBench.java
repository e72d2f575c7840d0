package io.ringtrain.ring.bench;

import io.ringtrain.metrics.Stats;
import io.ringtrain.ring.RingConfig;
import io.ringtrain.ring.RingException;
import io.ringtrain.ring.RingPeer;
import io.ringtrain.ring.WireDtype;
import io.ringtrain.worker.ChildJvm;
import io.ringtrain.worker.WorkerHosts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * All-reduce bus bandwidth, nccl-tests style, with one JVM per rank on this machine.
 *
 * <p>The parent spawns N children ({@link Rank}) on its own class path; each listens on a free
 * port of its host (loopback, or the address {@link WorkerHosts} gives it, in its network namespace)
 * and reports it, the parent hands every child the list, and then reads each child's
 * per-iteration times. An iteration's time is the slowest rank's; the figure
 * is the median over the timed iterations after warm-up. algbw = bytes / time and
 * busbw = algbw · 2(N-1)/N, in GB/s (10^9 bytes), as nccl-tests defines them, counting the fp32
 * buffer's bytes: what a trainer's gradients get. With bf16 on the wire half as many bytes travel;
 * wire busbw counts those, to set against a link's capacity. Warm-up is timed (however many
 * iterations that takes), not counted: JIT compilation, not iterations, sets it, so it lasts until
 * every rank's JIT has been quiet for a second. Between timed iterations every rank refills its
 * inputs, and no rank starts the next one before all have: a refill never shares the cores with
 * another rank's timed all-reduce. Each rank checks every float of its last result against the closed-form sum of all ranks'
 * inputs and reports that it did; a rank that does not fails the run.
 *
 * <p>Each rank also reports the CPU time its process spent (every thread: the ring's work runs on
 * Netty's event loops) inside the timed iterations. Their sum over the iterations' summed wall
 * time is how many cores the all-reduce kept busy: on a machine with fewer cores than ranks need,
 * that, and not the link, is what bounds the figure.
 *
 * <p>It lives in the worker module, not bench/, because it needs {@link RingPeer} and bench/
 * depends on the trainer only.
 */
public final class AllReduceBench {
  static final String SECRET_ENV = "RINGTRAIN_BENCH_SECRET";
  /**
   * The JIT keeps compiling Netty's and the ring's hot paths for seconds, longer when several JVMs
   * share few cores (C2 gets little CPU): warm up for this long per pair of ranks.
   */
  static final double WARMUP_SECONDS_PER_TWO_RANKS = 5;
  /**
   * Past the minimum warm-up, timing starts once every rank's JIT has compiled for at most this
   * share of the wall time over the last {@link #JIT_QUIET_NANOS} (on 2 cores, 4 JVMs' C2 threads
   * took 14% of the CPU in the first timed iterations after a fixed 10 s warm-up).
   */
  static final double JIT_QUIET_SHARE = 0.02;
  static final long JIT_QUIET_NANOS = 1_000_000_000L;
  /** ... but never longer than this many times the minimum, so a JIT that never settles still ends. */
  static final long WARMUP_CAP_FACTOR = 4;
  private static final String TIMES = "ring-bench-times ";
  private static final String PORT = "ring-bench-port ";
  private static final String CHECKED = "ring-bench-checked ";
  private static final String CPU = "ring-bench-cpu-nanos ";
  private static final String JIT = "ring-bench-jit-ms ";
  private static final String LOOPBACK = "127.0.0.1";

  private AllReduceBench() {}

  /**
   * One measurement; bandwidths in GB/s of the fp32 buffer, wire busbw in bytes sent; {@code
   * coresBusy} the CPU time of all ranks in the timed iterations over their wall time, {@code jitMs}
   * the time their JIT compilers took in those iterations (near 0 when warm-up reached steady state).
   */
  public record Result(int workers, long bytes, WireDtype dtype, int iterations, double medianSeconds,
      double algbw, double busbw, double coresBusy, long jitMs) {

    /** Bus bandwidth in the bytes that really travel: busbw scaled by the wire dtype's size. */
    public double wireBusbw() {
      return busbw * dtype.bytes() / Float.BYTES;
    }

    public String toJson() {
      return String.format(Locale.ROOT,
          "{\"workers\":%d,\"bytes\":%d,\"wire_dtype\":\"%s\",\"iterations\":%d,\"median_ms\":%.3f,"
              + "\"algbw_gbps\":%.3f,\"busbw_gbps\":%.3f,\"wire_busbw_gbps\":%.3f,\"cores_busy\":%.2f,"
              + "\"jit_ms\":%d}",
          workers, bytes, dtype.spelling(), iterations, medianSeconds * 1e3, algbw, busbw, wireBusbw(),
          coresBusy, jitMs);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "allreduce workers=%d size=%.1f MiB wire=%s iterations=%d median=%.2f ms algbw=%.2f GB/s "
              + "busbw=%.2f GB/s wire busbw=%.2f GB/s cores busy=%.2f JIT in timed iterations=%d ms",
          workers, bytes / 1048576.0, dtype.spelling(), iterations, medianSeconds * 1e3, algbw, busbw,
          wireBusbw(), coresBusy, jitMs);
    }
  }

  /** Runs {@code workers} rank JVMs all-reducing {@code mib} MiB of floats, default warm-up. */
  public static Result run(int workers, int mib, int iterations, WireDtype dtype, WorkerHosts hosts) {
    return run(workers, mib, iterations, WARMUP_SECONDS_PER_TWO_RANKS * Math.max(1, workers / 2.0), dtype, hosts);
  }

  /** On 127.0.0.1, warming up for {@code warmupSeconds} before timing. */
  public static Result run(int workers, int mib, int iterations, double warmupSeconds, WireDtype dtype) {
    return run(workers, mib, iterations, warmupSeconds, dtype, WorkerHosts.HERE);
  }

  /** Rank i on {@code hosts}' host for i, warming up for {@code warmupSeconds} before timing. */
  public static Result run(int workers, int mib, int iterations, double warmupSeconds, WireDtype dtype,
      WorkerHosts hosts) {
    if (workers < 1 || mib < 1 || iterations < 1 || warmupSeconds < 0) {
      throw new IllegalArgumentException(
          "workers, mib and iterations must be >= 1 and warm-up >= 0 s");
    }
    int floats = (int) Math.min(Integer.MAX_VALUE - 8, (long) mib * 1024 * 1024 / Float.BYTES);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    List<Process> children = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    try {
      for (int rank = 0; rank < workers; rank++) {
        List<String> command = new ArrayList<>(hosts.commandPrefix(rank));
        command.addAll(ChildJvm.command(Rank.class, String.valueOf(rank),
            String.valueOf(workers), String.valueOf(floats), String.valueOf(iterations),
            String.valueOf(warmupSeconds), hosts.address(rank, LOOPBACK), dtype.spelling()));
        ProcessBuilder builder = new ProcessBuilder(command);
        // The secret goes through the environment: command lines are visible to every user.
        builder.environment().put(SECRET_ENV, HexFormat.of().formatHex(secret));
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = builder.start();
        children.add(child);
        outputs.add(new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)));
      }
      List<String> ports = new ArrayList<>();
      for (int rank = 0; rank < workers; rank++) {
        ports.add(hosts.address(rank, LOOPBACK) + "/"
            + readLine(outputs.get(rank), PORT, children.get(rank), rank, "its port"));
      }
      for (Process child : children) {
        child.getOutputStream().write((String.join(",", ports) + "\n").getBytes(StandardCharsets.UTF_8));
        child.getOutputStream().flush();
      }
      long[] slowest = new long[iterations];
      long cpuNanos = 0;
      long jitMs = 0;
      for (int rank = 0; rank < workers; rank++) {
        String checked = readLine(outputs.get(rank), CHECKED, children.get(rank), rank, "its check of the sum");
        if (Integer.parseInt(checked) != floats) {
          throw new RingException("bench rank " + rank + " checked " + checked + " of the " + floats + " summed floats");
        }
        long[] times = Arrays.stream(
                readLine(outputs.get(rank), TIMES, children.get(rank), rank, "its times").split(","))
            .mapToLong(Long::parseLong).toArray();
        for (int i = 0; i < iterations; i++) {
          slowest[i] = Math.max(slowest[i], times[i]);
        }
        cpuNanos += Long.parseLong(readLine(outputs.get(rank), CPU, children.get(rank), rank, "its CPU time"));
        jitMs += Long.parseLong(readLine(outputs.get(rank), JIT, children.get(rank), rank, "its JIT time"));
      }
      double wallNanos = Arrays.stream(slowest).sum();
      double seconds = Stats.median(slowest) / 1e9;
      long bytes = (long) floats * Float.BYTES;
      double algbw = bytes / seconds / 1e9;
      return new Result(workers, bytes, dtype, iterations, seconds, algbw,
          algbw * 2.0 * (workers - 1) / workers, cpuNanos / wallNanos, jitMs);
    } catch (IOException e) {
      throw new RingException("all-reduce bench failed: " + e.getMessage(), e);
    } finally {
      children.forEach(Process::destroy);
    }
  }

  /** The rest of the child's first output line that starts with {@code prefix}. */
  private static String readLine(BufferedReader out, String prefix, Process child, int rank, String what)
      throws IOException {
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
    int code;
    try {
      code = child.waitFor(10, TimeUnit.SECONDS) ? child.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      code = -1;
    }
    throw new RingException("bench rank " + rank + " exited (code " + code
        + ") without reporting " + what + "; see its stderr above");
  }

  /** {@code --workers N --mib M [--iterations K] [--warmup-seconds S] [--wire-dtype D] [--json]} */
  public static void main(String[] args) {
    int workers = 2;
    int mib = 64;
    int iterations = 20;
    boolean json = false;
    double warmup = -1;
    WireDtype dtype = WireDtype.FP32;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--workers" -> workers = Integer.parseInt(args[++i]);
        case "--mib" -> mib = Integer.parseInt(args[++i]);
        case "--iterations" -> iterations = Integer.parseInt(args[++i]);
        case "--warmup-seconds" -> warmup = Double.parseDouble(args[++i]);
        case "--wire-dtype" -> dtype = WireDtype.of(args[++i]);
        case "--json" -> json = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (usage: --workers N --mib M [--iterations K] [--warmup-seconds S] [--wire-dtype fp32|bf16]"
            + " [--json])");
      }
    }
    WorkerHosts hosts = WorkerHosts.fromEnvironment();
    Result result = warmup < 0
        ? run(workers, mib, iterations, dtype, hosts)
        : run(workers, mib, iterations, warmup, dtype, hosts);
    System.out.println(json ? result.toJson() : result.toString());
  }

  /**
   * Rank r's input: (r + 1) times a small pattern over the index, so that a chunk summed into the
   * wrong place, twice or not at all shows; every partial sum is a small integer, exact in float.
   */
  static void fill(float[] data, int rank) {
    for (int i = 0; i < data.length; i++) data[i] = (rank + 1f) * (1 + i % 8);
  }

  static float expectedSum(int i, int workers) {
    return workers * (workers + 1) / 2f * (1 + i % 8);
  }

  /** The first index where {@code data} is not the sum of every rank's {@link #fill}, or -1. */
  static int firstWrongSum(float[] data, int workers) {
    for (int i = 0; i < data.length; i++) {
      if (data[i] != expectedSum(i, workers)) return i;
    }
    return -1;
  }

  private static final Path TASKS = Path.of("/proc/self/task");

  /**
   * This process's CPU time, every thread's: on Linux the sum of its threads' run times in
   * nanoseconds (/proc/self/task/T/schedstat), because the JDK's process CPU time counts clock
   * ticks of 10 ms, more than a small all-reduce takes; elsewhere that coarser figure.
   */
  static long processCpuNanos() {
    if (Files.isDirectory(TASKS)) {
      long sum = 0;
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
        for (Path task : tasks) {
          try {
            String stat = Files.readString(task.resolve("schedstat"));
            sum += Long.parseLong(stat.substring(0, stat.indexOf(' ')));
          } catch (NoSuchFileException exited) {
            // a thread that ended since the listing: its time is gone with it
          }
        }
        return sum;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read this process's CPU time from " + TASKS, e);
      }
    }
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * One rank: {@code rank workers floats iterations warmupSeconds host dtype}, the secret in the
   * environment. It prints the port it listens on at {@code host} and reads every rank's
   * {@code host/port}, comma-separated, from stdin.
   */
  public static final class Rank {
    private Rank() {}

    public static void main(String[] args) throws Exception {
      int rank = Integer.parseInt(args[0]);
      int workers = Integer.parseInt(args[1]);
      int floats = Integer.parseInt(args[2]);
      int iterations = Integer.parseInt(args[3]);
      long warmupNanos = (long) (Double.parseDouble(args[4]) * 1e9);
      String host = args[5];
      byte[] secret = HexFormat.of().parseHex(System.getenv(SECRET_ENV));
      RingConfig config = RingConfig.of(rank, workers, "allreduce-bench", secret)
          .withTimeouts(60_000, 60_000)
          .withWireDtype(WireDtype.of(args[6]));
      float[] data = new float[floats];
      float[] token = new float[1];
      long[] times = new long[iterations];
      long cpuNanos = 0;
      long timedJitMs = 0;
      try (RingPeer peer = RingPeer.listen(host, 0, 60_000)) {
        System.out.println(PORT + peer.port());
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
          throw new IllegalStateException("the bench parent closed stdin before sending the ports");
        }
        String[] next = line.split(",")[(rank + 1) % workers].split("/");
        peer.connect(config, new InetSocketAddress(next[0], Integer.parseInt(next[1]))).get();
        long step = 0;
        long warmupEnd = System.nanoTime() + warmupNanos;
        long warmupCap = System.nanoTime() + WARMUP_CAP_FACTOR * Math.max(warmupNanos, 1_000_000_000L);
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long jitMs = jit.getTotalCompilationTime();
        long checked = System.nanoTime();
        long jitQuietSince = checked;
        boolean warming = true;
        for (int i = 0; i < iterations; step++) {
          // Every rank votes: still warming while its minimum warm-up lasts or its JIT was not quiet
          // (compiling for at most a sliver of the wall time) for the last second. The vote is
          // summed, so all ranks switch to timed iterations at the same step, once every JIT is.
          long jitNow = jit.getTotalCompilationTime();
          long now = System.nanoTime();
          if ((jitNow - jitMs) * 1e6 > JIT_QUIET_SHARE * (now - checked)) {
            jitQuietSince = now;
          }
          jitMs = jitNow;
          checked = now;
          token[0] = warming && now < warmupCap
              && (now < warmupEnd || now - jitQuietSince < JIT_QUIET_NANOS) ? 1 : 0;
          peer.allReduce(step, 1, token, 0, 1, WireDtype.FP32).get();
          warming &= token[0] > 0;
          fill(data, rank); // fresh inputs: repeated sums would overflow
          // Start together, and only after every rank refilled: no rank's fill steals a core from
          // another rank's timed iteration (the gloo reference refills nothing).
          peer.allReduce(step, 2, token, 0, 1, WireDtype.FP32).get();
          long cpuStart = processCpuNanos();
          long jitStart = jit.getTotalCompilationTime();
          long start = System.nanoTime();
          peer.allReduce(step, 0, data, 0, floats).get();
          if (!warming) {
            times[i++] = System.nanoTime() - start;
            cpuNanos += processCpuNanos() - cpuStart;
            timedJitMs += jit.getTotalCompilationTime() - jitStart;
          }
        }
        int wrong = firstWrongSum(data, workers);
        if (wrong >= 0) {
          throw new IllegalStateException("wrong sum at float " + wrong + " of the last iteration: " + data[wrong]
              + ", expected " + expectedSum(wrong, workers));
        }
        peer.allReduce(step, 1, token, 0, 1, WireDtype.FP32).get(); // nobody closes while others still run
      }
      System.out.println(CHECKED + floats);
      System.out.println(TIMES + String.join(",",
          Arrays.stream(times).mapToObj(Long::toString).toList()));
      System.out.println(CPU + cpuNanos); // after the times: the parent reads in this order
      System.out.println(JIT + timedJitMs);
    }
  }
}
