package io.ringtrain.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.ring.bench.AllReduceBench;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AllReduceBenchTest {

  @Test
  void twoRankJvmsReportNcclStyleFigures() {
    AllReduceBench.Result result = AllReduceBench.run(2, 1, 3, 0, WireDtype.FP32);
    assertEquals(2, result.workers());
    assertEquals(1 << 20, result.bytes());
    assertTrue(result.medianSeconds() > 0);
    assertEquals(result.bytes() / result.medianSeconds() / 1e9, result.algbw(), 1e-9);
    assertEquals(result.algbw(), result.busbw(), 1e-9); // 2(N-1)/N = 1 for two ranks
    assertEquals(result.busbw(), result.wireBusbw(), 1e-9);
    assertTrue(result.toJson().startsWith("{\"workers\":2,\"bytes\":1048576,\"wire_dtype\":\"fp32\","),
        result.toJson());
  }

  @Test
  void bf16RanksCheckTheirSumsAndCountHalfTheBytesOnTheWire() {
    AllReduceBench.Result result = AllReduceBench.run(3, 1, 3, 0, WireDtype.BF16);
    assertEquals(WireDtype.BF16, result.dtype());
    assertEquals(result.algbw() * 4 / 3, result.busbw(), 1e-9);
    assertEquals(result.busbw() / 2, result.wireBusbw(), 1e-9);
    assertTrue(result.toString().contains("wire=bf16"), result.toString());
  }
}
