package io.ringtrain.cli;

import com.google.gson.JsonObject;
import io.ringtrain.data.HadoopConf;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.metrics.MetricsLog;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ringtrain plot}: train and validation loss against tokens for one or more runs, as a PNG. */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = "Draw train and validation loss against tokens seen, for one or more run directories.")
public final class PlotCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "Run directories (holding metrics.jsonl).")
  List<String> runs;

  @Option(names = "--output", paramLabel = "FILE.png",
      description = "Where to write the PNG; .png is added to a name without it (default: <first run>/loss.png).")
  java.nio.file.Path output;

  @Option(names = "--log-x", description = "Logarithmic tokens axis.")
  boolean logX;

  @Override
  public Integer call() throws Exception {
    Configuration conf = HadoopConf.configuration();
    XYChart chart = new XYChartBuilder().width(1000).height(620).title("Loss")
        .xAxisTitle("tokens").yAxisTitle("cross-entropy (nats)").build();
    chart.getStyler().setXAxisLogarithmic(logX);
    chart.getStyler().setMarkerSize(5);
    chart.getStyler().setXAxisDecimalPattern("#,###"); // 117,000 reads better than 1.17E5
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    for (String run : runs) {
      Path file = new Path(run, MetricsLog.FILE);
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) throw new FileNotFoundException("no " + MetricsLog.FILE + " in " + run + ": is it a run directory?");
      List<Double> tx = new ArrayList<>(), ty = new ArrayList<>(), vx = new ArrayList<>(), vy = new ArrayList<>();
      for (JsonObject o : MetricsLog.read(fs, file)) {
        String type = o.has("type") ? o.get("type").getAsString() : "";
        if (type.equals("train") && o.has("loss")) {
          tx.add(o.get("tokens").getAsDouble());
          ty.add(o.get("loss").getAsDouble());
        } else if (type.equals("val") && o.has("val_loss")) {
          vx.add(o.get("tokens").getAsDouble());
          vy.add(o.get("val_loss").getAsDouble());
        }
      }
      String name = new Path(run).getName();
      if (!tx.isEmpty()) chart.addSeries(name + " train", tx, ty).setMarker(SeriesMarkers.NONE);
      if (!vx.isEmpty()) {
        XYSeries v = chart.addSeries(name + " val", vx, vy);
        v.setMarker(SeriesMarkers.CIRCLE);
      }
      if (tx.isEmpty() && vx.isEmpty()) throw new IllegalArgumentException(file + " holds no loss records yet");
    }
    java.nio.file.Path png = output != null ? output : java.nio.file.Path.of(runs.get(0), "loss.png");
    // XChart, like matplotlib's savefig, adds the extension a name lacks: report the file it writes.
    if (!png.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
      png = png.resolveSibling(png.getFileName() + ".png");
    }
    if (png.getParent() != null) Files.createDirectories(png.getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("wrote " + png);
    return ExitCodes.OK;
  }
}
