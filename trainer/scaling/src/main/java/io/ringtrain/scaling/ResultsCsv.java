package io.ringtrain.scaling;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads sweep results from a CSV file with a header line: one {@link ScalingPoint} per row.
 * Tokens may be absent when FLOPs are given (D = C / 6N), and FLOPs when tokens are (C = 6ND).
 * Fields may be double-quoted; blank lines are skipped. Errors name the line and the column.
 */
public final class ResultsCsv {
  /**
   * Which column holds what. A null name means the default ({@code params}, {@code tokens},
   * {@code flops}, {@code loss}); a default tokens or flops column may be missing from the file,
   * while a column named here explicitly must be there.
   */
  public record Columns(String params, String tokens, String flops, String loss) {
    public static final Columns DEFAULT = new Columns(null, null, null, null);
  }

  private ResultsCsv() {}

  public static List<ScalingPoint> read(Path file, Columns columns) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return parse(file.toString(), reader, columns);
    }
  }

  /** Parses CSV text; {@code source} names it in error messages. */
  public static List<ScalingPoint> parse(String source, Reader text, Columns columns)
      throws IOException {
    Table table = Table.read(source, text);
    int params = table.header.required(columns.params(), "params");
    int loss = table.header.required(columns.loss(), "loss");
    int tokens = table.header.optional(columns.tokens(), "tokens");
    int flops = table.header.optional(columns.flops(), "flops");
    if (tokens < 0 && flops < 0) {
      throw new IllegalArgumentException(
          source + ": needs a 'tokens' or a 'flops' column (or name one with its mapping); "
              + "columns are " + table.header.names);
    }
    List<ScalingPoint> points = new ArrayList<>();
    for (Row row : table.rows) {
      double n = row.positive(params);
      double l = row.positive(loss);
      if (tokens >= 0 && flops >= 0) {
        points.add(new ScalingPoint(n, row.positive(tokens), row.positive(flops), l));
      } else if (tokens >= 0) {
        points.add(ScalingPoint.of(n, row.positive(tokens), l));
      } else {
        points.add(ScalingPoint.fromFlops(n, row.positive(flops), l));
      }
    }
    return points;
  }

  /**
   * One positive numeric column (an explicit compute budget, say), a value per data row in the
   * order of the points {@link #read} returns.
   */
  public static double[] readColumn(Path file, String column) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Table table = Table.read(file.toString(), reader);
      int index = table.header.required(column, column);
      return table.rows.stream().mapToDouble(row -> row.positive(index)).toArray();
    }
  }

  /** The header and the non-blank rows, each with as many fields as the header. */
  private record Table(Header header, List<Row> rows) {
    static Table read(String source, Reader text) throws IOException {
      BufferedReader reader = new BufferedReader(text);
      String headerLine = reader.readLine();
      if (headerLine == null) {
        throw new IllegalArgumentException(source + ": empty file, expected a header line");
      }
      List<String> names =
          split(stripBom(headerLine), source, 1).stream().map(String::trim).toList();
      List<Row> rows = new ArrayList<>();
      String line;
      for (int number = 2; (line = reader.readLine()) != null; number++) {
        if (line.isBlank()) {
          continue;
        }
        List<String> fields = split(line, source, number);
        if (fields.size() != names.size()) {
          throw new IllegalArgumentException(String.format(
              "%s line %d: %d fields, but the header has %d", source, number, fields.size(),
              names.size()));
        }
        rows.add(new Row(source, number, names, fields));
      }
      if (rows.isEmpty()) {
        throw new IllegalArgumentException(source + ": no data rows after the header");
      }
      return new Table(new Header(source, names), rows);
    }
  }

  private static String stripBom(String line) {
    return line.startsWith("\uFEFF") ? line.substring(1) : line;
  }

  /** Splits one line on commas outside double quotes; "" inside quotes is a quote. */
  static List<String> split(String line, String source, int number) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException(source + " line " + number + ": unterminated quote");
    }
    fields.add(field.toString());
    return fields;
  }

  private record Header(String source, List<String> names) {
    int required(String mapped, String fallback) {
      int index = names.indexOf(mapped == null ? fallback : mapped);
      if (index < 0) {
        throw missing(mapped == null ? fallback : mapped);
      }
      return index;
    }

    int optional(String mapped, String fallback) {
      if (mapped == null) {
        return names.indexOf(fallback);
      }
      int index = names.indexOf(mapped);
      if (index < 0) {
        throw missing(mapped);
      }
      return index;
    }

    IllegalArgumentException missing(String name) {
      return new IllegalArgumentException(
          source + ": no column '" + name + "'; columns are " + names);
    }
  }

  private record Row(String source, int number, List<String> header, List<String> fields) {
    double positive(int column) {
      String text = fields.get(column).trim();
      double value;
      try {
        value = Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw error(column, "'" + text + "' is not a number");
      }
      if (!(value > 0) || Double.isInfinite(value)) {
        throw error(column, text + " is not a positive finite number");
      }
      return value;
    }

    IllegalArgumentException error(int column, String what) {
      return new IllegalArgumentException(String.format(
          "%s line %d, column '%s': %s", source, number, header.get(column), what));
    }
  }
}
