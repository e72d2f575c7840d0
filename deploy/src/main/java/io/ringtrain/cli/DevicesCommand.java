package io.ringtrain.cli;

import com.google.gson.GsonBuilder;
import io.ringtrain.kernels.opencl.OpenClDevices;
import io.ringtrain.launch.ExitCodes;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ringtrain devices}: the OpenCL platforms and devices that --backend opencl can use. */
@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = {
      "List the OpenCL platforms and devices (for --backend opencl|auto --device INDEX|NAME).",
      "Without OpenCL (no ICD loader, no platform) it says why and exits with 3."
    })
public final class DevicesCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    List<OpenClDevices.Info> all = OpenClDevices.list();
    PrintStream out = System.out;
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (OpenClDevices.Info d : all) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", d.index());
        m.put("platform", d.platform());
        m.put("name", d.name());
        m.put("type", d.type());
        m.put("compute_units", d.computeUnits());
        m.put("global_mem_bytes", d.globalMemBytes());
        m.put("max_alloc_bytes", d.maxAllocBytes());
        m.put("max_work_group_size", d.maxWorkGroupSize());
        rows.add(m);
      }
      out.println(new GsonBuilder().setPrettyPrinting().create().toJson(rows));
      return ExitCodes.OK;
    }
    out.printf("%-5s %-4s %5s %10s  %-40s %s%n", "index", "type", "units", "memory", "name",
        "platform");
    for (OpenClDevices.Info d : all) {
      out.printf("%-5d %-4s %5d %7d MiB  %-40s %s%n", d.index(), d.type(), d.computeUnits(),
          d.globalMemBytes() >> 20, d.name(), d.platform());
    }
    return ExitCodes.OK;
  }
}
