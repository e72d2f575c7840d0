package io.ringtrain.scaling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsCsvTest {
  private static List<ScalingPoint> parse(String text, ResultsCsv.Columns columns)
      throws IOException {
    return ResultsCsv.parse("runs.csv", new StringReader(text), columns);
  }

  private static String error(String text, ResultsCsv.Columns columns) {
    return assertThrows(IllegalArgumentException.class, () -> parse(text, columns)).getMessage();
  }

  @Test
  void readsDefaultColumnsInAnyOrder() throws IOException {
    List<ScalingPoint> points =
        parse("loss,flops,tokens,params\n3.5,6e15,1e7,1e8\n\n3.2,1.2e16,2e7,1e8\n",
            ResultsCsv.Columns.DEFAULT);
    assertEquals(List.of(new ScalingPoint(1e8, 1e7, 6e15, 3.5),
        new ScalingPoint(1e8, 2e7, 1.2e16, 3.2)), points);
  }

  @Test
  void derivesTokensFromFlops() throws IOException {
    List<ScalingPoint> points =
        parse("params,flops,loss\n1e8,6e16,3\n", ResultsCsv.Columns.DEFAULT);
    assertEquals(1e8, points.get(0).tokens(), 1e-3);
  }

  @Test
  void derivesFlopsFromTokens() throws IOException {
    List<ScalingPoint> points =
        parse("params,tokens,loss\n1e8,1e8,3\n", ResultsCsv.Columns.DEFAULT);
    assertEquals(6e16, points.get(0).flops(), 1);
  }

  @Test
  void mapsQuotedColumnNames() throws IOException {
    List<ScalingPoint> points = parse(
        "\"Model Size\",\"Training FLOP\",final\n2e8,1.2e17,\"2.9\"\n",
        new ResultsCsv.Columns("Model Size", null, "Training FLOP", "final"));
    assertEquals(1e8, points.get(0).tokens(), 1e-3);
    assertEquals(2.9, points.get(0).loss());
  }

  @Test
  void namesAMissingColumn() {
    assertEquals("runs.csv: no column 'loss'; columns are [params, tokens]",
        error("params,tokens\n1,2\n", ResultsCsv.Columns.DEFAULT));
    assertEquals("runs.csv: no column 'D'; columns are [params, flops, loss]",
        error("params,flops,loss\n1,2,3\n", new ResultsCsv.Columns(null, "D", null, null)));
    assertEquals("runs.csv: needs a 'tokens' or a 'flops' column (or name one with its mapping);"
        + " columns are [params, loss]", error("params,loss\n1,2\n", ResultsCsv.Columns.DEFAULT));
  }

  @Test
  void namesTheLineAndColumnOfABadNumber() {
    assertEquals("runs.csv line 3, column 'loss': 'n/a' is not a number",
        error("params,tokens,loss\n1e8,1e9,3\n1e8,2e9,n/a\n", ResultsCsv.Columns.DEFAULT));
    assertEquals("runs.csv line 2, column 'params': -5 is not a positive finite number",
        error("params,tokens,loss\n-5,1e9,3\n", ResultsCsv.Columns.DEFAULT));
    assertEquals("runs.csv line 2: 2 fields, but the header has 3",
        error("params,tokens,loss\n1e8,1e9\n", ResultsCsv.Columns.DEFAULT));
    assertEquals("runs.csv: no data rows after the header",
        error("params,tokens,loss\n", ResultsCsv.Columns.DEFAULT));
  }

  @Test
  void readsABudgetColumn(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("runs.csv");
    Files.writeString(file, "params,tokens,loss,budget\n1e8,1e9,3,6e17\n\n2e8,5e8,3.1,6e17\n");
    assertArrayEquals(new double[] {6e17, 6e17}, ResultsCsv.readColumn(file, "budget"));
    assertEquals(2, ResultsCsv.read(file, ResultsCsv.Columns.DEFAULT).size());
  }
}
