package io.ringtrain.kernels.opencl;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The OpenCL platforms and devices Aparapi sees, numbered in platform order. */
public final class OpenClDevices {
  /** One device: its index across all platforms, and what a user needs to choose it. */
  public record Info(int index, String platform, String name, String type, int computeUnits,
      long globalMemBytes, long maxAllocBytes, int maxWorkGroupSize, OpenCLDevice device) {
    public boolean gpu() {
      return "GPU".equals(type);
    }
  }

  private OpenClDevices() {}

  /**
   * All devices, or an {@link OpenClException} ({@code UNAVAILABLE}) saying why there are none:
   * the OpenCL library or Aparapi's native part did not load, or no platform is installed.
   */
  public static List<Info> list() {
    List<OpenCLPlatform> platforms;
    try {
      platforms = new OpenCLPlatform().getOpenCLPlatforms();
    } catch (Throwable e) {
      throw new OpenClException(OpenClException.Kind.UNAVAILABLE, "OpenCL is not available: "
          + e + " (install an OpenCL driver and its ICD loader, e.g. pocl-opencl-icd and"
          + " ocl-icd-libopencl1)", e);
    }
    List<Info> out = new ArrayList<>();
    if (platforms == null) {
      platforms = List.of();
    }
    for (OpenCLPlatform p : platforms) {
      for (OpenCLDevice d : p.getOpenCLDevices()) {
        Device.TYPE t = d.getType();
        out.add(new Info(out.size(), p.getName(), d.getName().trim(),
            t == null ? "?" : t.name(), d.getMaxComputeUnits(), d.getGlobalMemSize(),
            d.getMaxMemAllocSize(), d.getMaxWorkGroupSize(), d));
      }
    }
    if (out.isEmpty()) {
      throw new OpenClException(OpenClException.Kind.UNAVAILABLE, "no OpenCL platform or device"
          + " found (is an ICD installed under /etc/OpenCL/vendors? e.g. apt-get install"
          + " pocl-opencl-icd)");
    }
    return out;
  }

  /**
   * The device a user named: an index, or a case-insensitive substring of the device's or
   * platform's name; empty or null means the first GPU, else the first device.
   */
  public static Info choose(String wanted) {
    List<Info> all = list();
    if (wanted == null || wanted.isBlank()) {
      return all.stream().filter(Info::gpu).findFirst().orElse(all.get(0));
    }
    String w = wanted.trim();
    if (w.chars().allMatch(Character::isDigit)) {
      int i = Integer.parseInt(w);
      if (i < all.size()) {
        return all.get(i);
      }
    } else {
      String lw = w.toLowerCase(Locale.ROOT);
      for (Info d : all) {
        if (d.name().toLowerCase(Locale.ROOT).contains(lw)
            || d.platform().toLowerCase(Locale.ROOT).contains(lw)) {
          return d;
        }
      }
    }
    StringBuilder s = new StringBuilder("no OpenCL device matches --device " + w + "; there are:");
    for (Info d : all) {
      s.append("\n  ").append(d.index()).append(": ").append(d.name()).append(" (")
          .append(d.type()).append(", ").append(d.platform()).append(')');
    }
    throw new OpenClException(OpenClException.Kind.NO_SUCH_DEVICE, s.toString());
  }
}
