package io.ringtrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.model.GptConfig;
import io.ringtrain.plan.StepTimeEstimate;
import io.ringtrain.ring.RingConfig;
import org.junit.jupiter.api.Test;

/** `ringtrain estimate`: the model's figures as a table and JSON, and its refusals. */
class EstimateCommandTest {

  @Test
  void jsonRowsAreTheModelsForGpt2OnTheTrainersBuckets() {
    Cli.Result r = Cli.run("estimate", "--model", "L", "--compute-ms", "5200", "--workers", "1,8",
        "--grad-accum", "1,4", "--link-gbit", "25", "--latency-us", "20", "--json");
    assertEquals(0, r.code(), r.all());
    JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
    assertEquals(2 * 2 * 2, rows.size(), r.out());
    var buckets = StepTimeEstimate.buckets(GptConfig.of(12, 12, 768, 256, 50304));
    for (var e : rows) {
      JsonObject row = e.getAsJsonObject();
      int n = row.get("workers").getAsInt();
      int a = row.get("grad_accum").getAsInt();
      String d = row.get("wire_dtype").getAsString();
      StepTimeEstimate.Result expected = StepTimeEstimate.estimate(buckets, n, a, 5200, d, d.equals("bf16") ? 2 : 4,
          StepTimeEstimate.Link.gbit(25, 20), RingConfig.DEFAULT_SUB_CHUNK_FLOATS);
      assertEquals(expected.stepMs(), row.get("step_ms").getAsDouble(), 1e-3, row.toString());
      assertEquals(expected.efficiency(), row.get("efficiency").getAsDouble(), 1e-4, row.toString());
      if (n == 1) assertEquals(1.0, row.get("efficiency").getAsDouble(), row.toString());
    }
    // GPT-2 124M (context 256: 123,886,080 parameters) in fp32 on 8 workers: each rank sends
    // 2·7/8 of them x 4 bytes.
    JsonObject eightFp32 = rows.get(4).getAsJsonObject();
    assertEquals(8, eightFp32.get("workers").getAsInt());
    assertEquals(123_886_080L * 4 * 14 / 8, eightFp32.get("wire_bytes_per_step").getAsLong());
  }

  @Test
  void tableNamesTheModelAndLink() {
    Cli.Result r = Cli.run("estimate", "--model", "M", "--compute-ms", "400", "--workers", "2,64",
        "--wire-dtype", "bf16", "--link-gbit", "1");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("| workers | accum | wire | compute ms | ring ms | exposed ms | step ms | efficiency | tokens/s |"),
        r.out());
    assertTrue(r.out().contains("| 64 | 1 | bf16 | 400.0 |"), r.out());
    assertTrue(r.out().contains("links 1.0 Gbit/s, 20 us a hop"), r.out());
  }

  @Test
  void measuresTheComputeTimeWithBenchTrain() {
    Cli.Result r = Cli.run("estimate", "--model", "S", "--measure", "--threads", "1", "--workers", "2",
        "--wire-dtype", "fp32", "--json");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.err().contains("measured: "), r.err());
    double compute = JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject()
        .get("compute_ms").getAsDouble();
    assertTrue(compute > 0, r.out());
  }

  @Test
  void badInputIsNamed() {
    Cli.Result none = Cli.run("estimate", "--model", "L");
    assertEquals(ExitCodes.BAD_INPUT, none.code(), none.all());
    assertTrue(none.err().contains("--compute-ms MS or --measure"), none.err());
    Cli.Result dtype = Cli.run("estimate", "--compute-ms", "10", "--wire-dtype", "fp16");
    assertEquals(ExitCodes.BAD_INPUT, dtype.code(), dtype.all());
    assertTrue(dtype.err().contains("\"fp16\" is not one of [fp32, bf16]"), dtype.err());
    Cli.Result workers = Cli.run("estimate", "--compute-ms", "10", "--workers", "0");
    assertEquals(ExitCodes.BAD_INPUT, workers.code(), workers.all());
    Cli.Result model = Cli.run("estimate", "--compute-ms", "10", "--model", "XL");
    assertEquals(ExitCodes.BAD_INPUT, model.code(), model.all());
    assertTrue(model.err().contains("expected S, M or L"), model.err());
  }
}
