package io.ringtrain.fit;

import io.ringtrain.scaling.ComputeOptimal;
import io.ringtrain.scaling.IsoFlopFit;
import io.ringtrain.scaling.NearGroups;
import io.ringtrain.scaling.ScalingLaw;
import io.ringtrain.scaling.ScalingLawFit;
import io.ringtrain.scaling.ScalingPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The plots of {@code ringtrain fit}: loss against FLOPs per model size with the fitted curves,
 * the IsoFLOP profiles with their minima, and N_opt(C), D_opt(C). FLOP and size axes are
 * logarithmic; loss axes are linear, as in the Chinchilla paper, since losses span less than a
 * decade and a log axis would carry no labels.
 */
public final class FitPlots {
  private static final int WIDTH = 1000;
  private static final int HEIGHT = 650;
  private static final int CURVE_SAMPLES = 60;
  // More model sizes than this are binned by log N, or the legend would fill the plot.
  private static final int MAX_SIZE_GROUPS = 10;

  private final ScalingLawFit fit;
  private final IsoFlopFit isoFlop;
  private final ComputeOptimal optimal;

  /** {@code isoFlop} is null when approach 2 was not available. */
  public FitPlots(ScalingLawFit fit, IsoFlopFit isoFlop, ComputeOptimal optimal) {
    this.fit = fit;
    this.isoFlop = isoFlop;
    this.optimal = optimal;
  }

  /** Writes the PNGs into {@code dir} (created if needed) and returns their paths. */
  public List<Path> write(Path dir) throws IOException {
    if (System.getProperty("java.awt.headless") == null) {
      // Fits run on servers without a display; AWT must not look for one.
      System.setProperty("java.awt.headless", "true");
    }
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    written.add(save(lossVsFlops(), dir.resolve("loss_vs_flops.png")));
    if (isoFlop != null) {
      written.add(save(isoFlopProfiles(), dir.resolve("isoflop.png")));
    }
    written.add(save(optimalAllocation(), dir.resolve("compute_optimal.png")));
    return written;
  }

  private static Path save(XYChart chart, Path file) throws IOException {
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    return file;
  }

  private XYChart lossVsFlops() {
    XYChart chart = chart("Loss against training compute, with the fitted L(N, C/6N)",
        "training FLOPs C", "loss");
    ScalingLaw law = fit.law();
    List<List<ScalingPoint>> groups = sizeGroups(fit.points());
    for (int g = 0; g < groups.size(); g++) {
      List<ScalingPoint> group = groups.get(g);
      Color color = shade(g, groups.size());
      double n = NearGroups.geometricMean(group, ScalingPoint::params);
      String name = "N ≈ " + FitReport.format(n);
      scatter(chart, name, group.stream().mapToDouble(ScalingPoint::flops).toArray(),
          group.stream().mapToDouble(ScalingPoint::loss).toArray(), color, SeriesMarkers.CIRCLE);
      double lo = group.stream().mapToDouble(ScalingPoint::flops).min().orElseThrow() / 1.5;
      double hi = group.stream().mapToDouble(ScalingPoint::flops).max().orElseThrow() * 1.5;
      line(chart, name + " fit", lo, hi, c -> law.loss(n, c / (6 * n)), color, SeriesLines.SOLID)
          .setShowInLegend(false);
    }
    double[] range = flopsRange(fit.points());
    line(chart, "compute-optimal frontier", range[0], range[1],
        c -> optimal.forFlops(c).loss(), Color.BLACK, SeriesLines.DASH_DASH);
    return chart;
  }

  private XYChart isoFlopProfiles() {
    XYChart chart = chart("IsoFLOP profiles: parabolas in log N and their minima",
        "parameters N", "loss");
    List<IsoFlopFit.Profile> profiles = isoFlop.profiles();
    for (int i = 0; i < profiles.size(); i++) {
      IsoFlopFit.Profile profile = profiles.get(i);
      Color color = shade(i, profiles.size());
      String name = "C = " + FitReport.format(profile.flops());
      List<ScalingPoint> runs = profile.points();
      scatter(chart, name, runs.stream().mapToDouble(ScalingPoint::params).toArray(),
          runs.stream().mapToDouble(ScalingPoint::loss).toArray(), color, SeriesMarkers.CIRCLE);
      double lo = runs.stream().mapToDouble(ScalingPoint::params).min().orElseThrow() / 1.2;
      double hi = runs.stream().mapToDouble(ScalingPoint::params).max().orElseThrow() * 1.2;
      line(chart, name + " parabola", lo, hi, profile::lossAt, color, SeriesLines.SOLID)
          .setShowInLegend(false);
    }
    scatter(chart, "minima",
        profiles.stream().mapToDouble(IsoFlopFit.Profile::paramsOpt).toArray(),
        profiles.stream().mapToDouble(IsoFlopFit.Profile::lossOpt).toArray(),
        Color.BLACK, SeriesMarkers.DIAMOND);
    return chart;
  }

  private XYChart optimalAllocation() {
    XYChart chart = chart("Compute-optimal model size and data", "training FLOPs C",
        "parameters N / tokens D");
    chart.getStyler().setYAxisLogarithmic(true);
    double[] range = flopsRange(fit.points());
    Color params = new Color(0x1f77b4);
    Color tokens = new Color(0xd62728);
    line(chart, String.format("N_opt, fit: C^%.3f", optimal.paramsExponent()), range[0],
        range[1], c -> optimal.forFlops(c).params(), params, SeriesLines.SOLID);
    line(chart, String.format("D_opt, fit: C^%.3f", optimal.tokensExponent()), range[0],
        range[1], c -> optimal.forFlops(c).tokens(), tokens, SeriesLines.SOLID);
    if (isoFlop != null) {
      List<IsoFlopFit.Profile> profiles = isoFlop.profiles();
      double[] c = profiles.stream().mapToDouble(IsoFlopFit.Profile::flops).toArray();
      scatter(chart, "N_opt, IsoFLOP minima", c,
          profiles.stream().mapToDouble(IsoFlopFit.Profile::paramsOpt).toArray(), params,
          SeriesMarkers.DIAMOND);
      scatter(chart, "D_opt, IsoFLOP minima", c,
          profiles.stream().mapToDouble(IsoFlopFit.Profile::tokensOpt).toArray(), tokens,
          SeriesMarkers.DIAMOND);
      line(chart, String.format("N_opt, IsoFLOP: C^%.3f", isoFlop.paramsLaw().exponent()),
          range[0], range[1], isoFlop.paramsLaw()::at, params, SeriesLines.DASH_DASH);
      line(chart, String.format("D_opt, IsoFLOP: C^%.3f", isoFlop.tokensLaw().exponent()),
          range[0], range[1], isoFlop.tokensLaw()::at, tokens, SeriesLines.DASH_DASH);
    }
    return chart;
  }

  /** Model sizes within 1% form a group; too many groups are merged into log-N bins. */
  private static List<List<ScalingPoint>> sizeGroups(List<ScalingPoint> points) {
    List<List<ScalingPoint>> groups = NearGroups.group(points, ScalingPoint::params, 0.01);
    if (groups.size() <= MAX_SIZE_GROUPS) {
      return groups;
    }
    double lo = Math.log(groups.get(0).get(0).params());
    double width = (Math.log(groups.get(groups.size() - 1).get(0).params()) - lo) / MAX_SIZE_GROUPS;
    List<List<ScalingPoint>> bins = new ArrayList<>();
    for (int i = 0; i < MAX_SIZE_GROUPS; i++) {
      bins.add(new ArrayList<>());
    }
    for (ScalingPoint p : points) {
      int bin = (int) Math.min(MAX_SIZE_GROUPS - 1, (Math.log(p.params()) - lo) / width);
      bins.get(bin).add(p);
    }
    bins.removeIf(List::isEmpty);
    return bins;
  }

  /** The runs' FLOP range widened by a decade each way, so trends show beyond the data. */
  private static double[] flopsRange(List<ScalingPoint> points) {
    double lo = points.stream().mapToDouble(ScalingPoint::flops).min().orElseThrow();
    double hi = points.stream().mapToDouble(ScalingPoint::flops).max().orElseThrow();
    return new double[] {lo / 10, hi * 10};
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(x).yAxisTitle(y).build();
    Styler styler = chart.getStyler();
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setMarkerSize(7);
    chart.getStyler().setXAxisLogarithmic(true);
    return chart;
  }

  private static void scatter(
      XYChart chart, String name, double[] x, double[] y, Color color, Marker marker) {
    XYSeries series = chart.addSeries(name, x, y);
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    series.setMarker(marker);
    series.setMarkerColor(color);
  }

  /** A curve y = f(x) sampled evenly in log x over [lo, hi]. */
  private static XYSeries line(
      XYChart chart, String name, double lo, double hi, DoubleUnaryOperator f, Color color,
      BasicStroke style) {
    double[] x = new double[CURVE_SAMPLES];
    double[] y = new double[CURVE_SAMPLES];
    for (int i = 0; i < CURVE_SAMPLES; i++) {
      x[i] = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (CURVE_SAMPLES - 1));
      y[i] = f.applyAsDouble(x[i]);
    }
    XYSeries series = chart.addSeries(name, x, y);
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    series.setMarker(SeriesMarkers.NONE);
    series.setLineColor(color);
    series.setLineStyle(style);
    return series;
  }

  /** Colour i of n along a blue-to-red ramp: small models or budgets blue, large red. */
  private static Color shade(int i, int n) {
    float fraction = n == 1 ? 0 : (float) i / (n - 1);
    return Color.getHSBColor(0.66f * (1 - fraction), 0.8f, 0.85f);
  }
}
