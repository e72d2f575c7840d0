package io.ringtrain.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line of progress for long work: done/total, rate and ETA, plus whatever the caller adds.
 * On a terminal it redraws in place a few times a second; otherwise (logs, CI, pipes) it prints a
 * new line every few seconds so logs stay readable.
 */
public final class ProgressLine {
  private final PrintStream out;
  private final String unit;
  private final long startNanos = System.nanoTime();
  private final boolean terminal;
  private final long intervalNanos;
  private long lastPrint;

  public ProgressLine(PrintStream out, String unit) {
    this(out, unit, System.console() != null);
  }

  public ProgressLine(PrintStream out, String unit, boolean terminal) {
    this.out = out;
    this.unit = unit;
    this.terminal = terminal;
    this.intervalNanos = terminal ? 250_000_000L : 5_000_000_000L;
  }

  /** Prints if enough time has passed since the last print. */
  public void update(long done, long total, String extra) {
    long now = System.nanoTime();
    if (now - lastPrint < intervalNanos) return;
    lastPrint = now;
    print(done, total, extra, false);
  }

  /** Prints the final state and ends the line. */
  public void finish(long done, long total, String extra) {
    print(done, total, extra, true);
  }

  public double elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private void print(long done, long total, String extra, boolean last) {
    double secs = Math.max(1e-9, elapsedSeconds());
    double rate = done / secs;
    StringBuilder s = new StringBuilder();
    if (total > 0) {
      s.append(String.format(Locale.ROOT, "%5.1f%% ", 100.0 * done / total));
    }
    s.append(human(done)).append(total > 0 ? "/" + human(total) : "").append(' ').append(unit);
    s.append(String.format(Locale.ROOT, " | %s%s/s", human((long) rate), unit));
    if (!extra.isEmpty()) s.append(" | ").append(extra);
    if (total > 0 && !last && rate > 0) s.append(" | ETA ").append(duration((total - done) / rate));
    if (last) s.append(" | ").append(duration(secs));
    if (terminal) {
      out.print("\r\033[K" + s + (last ? "\n" : ""));
    } else {
      out.println(s);
    }
    out.flush();
  }

  /** 1234567 → "1.23M": short, fixed-width-ish figures for progress lines. */
  public static String human(long n) {
    if (n < 10_000) return Long.toString(n);
    String[] suffix = {"k", "M", "G", "T"};
    double v = n;
    int i = -1;
    while (v >= 1000 && i < suffix.length - 1) {
      v /= 1000;
      i++;
    }
    return String.format(Locale.ROOT, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, suffix[i]);
  }

  /** Seconds as "1h02m", "3m05s" or "12.3s". */
  public static String duration(double seconds) {
    if (seconds >= 3600) return String.format(Locale.ROOT, "%dh%02dm", (long) seconds / 3600, (long) seconds % 3600 / 60);
    if (seconds >= 60) return String.format(Locale.ROOT, "%dm%02ds", (long) seconds / 60, (long) seconds % 60);
    return String.format(Locale.ROOT, "%.1fs", seconds);
  }
}
