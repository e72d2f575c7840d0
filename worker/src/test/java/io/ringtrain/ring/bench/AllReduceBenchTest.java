package io.ringtrain.ring.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.ring.WireDtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Tag;

@Tag("slow")
@Timeout(60)
class AllReduceBenchTest {

  /** Every rank checks every float of its last result, and the parent insists on that report. */
  @Test
  void twoRankJvmsSumCorrectlyAndReportNcclStyleFigures() {
    AllReduceBench.Result result = AllReduceBench.run(2, 1, 3, 0, WireDtype.FP32);
    assertEquals(2, result.workers());
    assertEquals(1 << 20, result.bytes());
    assertTrue(result.medianSeconds() > 0);
    assertEquals(result.bytes() / result.medianSeconds() / 1e9, result.algbw(), 1e-9);
    assertEquals(result.algbw(), result.busbw(), 1e-9); // 2(N-1)/N = 1 for two ranks
    assertEquals(result.busbw(), result.wireBusbw(), 1e-9);
    // Two processes cannot keep more cores busy than the machine has (a little slack: the CPU
    // clock and the wall clock are read a few microseconds apart), and moving a MiB takes some.
    int cores = Runtime.getRuntime().availableProcessors();
    assertTrue(result.coresBusy() > 0 && result.coresBusy() <= cores * 1.1,
        "cores busy " + result.coresBusy() + " on " + cores + " cores");
    assertTrue(result.toJson().startsWith("{\"workers\":2,\"bytes\":1048576,\"wire_dtype\":\"fp32\","),
        result.toJson());
  }

  /** The sums of small integers are exact in bf16 too, so its ranks check every float as well. */
  @Test
  void bf16RanksCheckTheirSumsAndCountHalfTheBytesOnTheWire() {
    AllReduceBench.Result result = AllReduceBench.run(3, 1, 3, 0, WireDtype.BF16);
    assertEquals(WireDtype.BF16, result.dtype());
    assertEquals(result.algbw() * 4 / 3, result.busbw(), 1e-9);
    assertEquals(result.busbw() / 2, result.wireBusbw(), 1e-9);
    assertTrue(result.toString().contains("wire=bf16"), result.toString());
  }

  /** The ranks' check finds a chunk left out, one added twice, and one float off. */
  @Test
  void theSumCheckCatchesMissingDoubledAndWrongChunks() {
    int workers = 3;
    float[] sum = new float[1000];
    float[] part = new float[sum.length];
    for (int r = 0; r < workers; r++) {
      AllReduceBench.fill(part, r);
      for (int i = 0; i < sum.length; i++) sum[i] += part[i];
    }
    assertEquals(-1, AllReduceBench.firstWrongSum(sum, workers));
    float[] missing = sum.clone();
    AllReduceBench.fill(part, 1);
    for (int i = 400; i < 500; i++) missing[i] -= part[i];
    assertEquals(400, AllReduceBench.firstWrongSum(missing, workers));
    float[] doubled = sum.clone();
    for (int i = 600; i < 700; i++) doubled[i] += part[i];
    assertEquals(600, AllReduceBench.firstWrongSum(doubled, workers));
    float[] off = sum.clone();
    off[999] = Math.nextUp(off[999]);
    assertEquals(999, AllReduceBench.firstWrongSum(off, workers));
  }
}
