package io.ringtrain.sweep;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.ringtrain.launch.ExitCodes;
import io.ringtrain.launch.UserFacingFailure;
import io.ringtrain.proto.JobSpec;
import io.ringtrain.spec.JobSpecs;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A sweep file: the base job spec every run starts from, the model family, and the grid or
 * IsoFLOP budgets. Every problem is collected and reported at once, named by its key, as the job
 * spec's are.
 */
public record SweepSpec(JobSpec base, String data, String mode, ModelFamily family, List<Long> params,
    List<Double> tokens, List<Double> flops, String launcher, int workers) {
  static final String GRID = "grid";
  static final String ISOFLOP = "isoflop";
  private static final Set<String> KEYS =
      Set.of("base", "data", "mode", "family", "params", "tokens", "flops", "launcher", "workers");
  private static final Set<String> FAMILY_KEYS =
      Set.of("width_step", "head_size", "width_per_layer", "min_layers", "max_layers");

  public static SweepSpec parse(String text, String source) {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonObject()) throw bad(source, List.of("the file must hold one JSON object"));
      o = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw bad(source, List.of("not valid JSON: " + e.getMessage()));
    }
    List<String> p = new ArrayList<>();
    unknownKeys(p, o, KEYS, "");
    JobSpec base = o.has("base") && o.get("base").isJsonObject()
        ? JobSpecs.parse(o.get("base").toString(), true, source + ": base") : JobSpec.getDefaultInstance();
    if (o.has("base") && !o.get("base").isJsonObject()) p.add("base must be a job spec object");
    String mode = string(p, o, "mode", null);
    if (mode == null) p.add("mode is missing: \"grid\" or \"isoflop\"");
    else if (!mode.equals(GRID) && !mode.equals(ISOFLOP)) p.add("mode=\"" + mode + "\" is not \"grid\" or \"isoflop\"");
    List<Long> params = numbers(p, o, "params").stream().map(Math::round).toList();
    List<Double> tokens = numbers(p, o, "tokens");
    List<Double> flops = numbers(p, o, "flops");
    if (GRID.equals(mode)) {
      requireList(p, "params", params.size(), "model sizes");
      requireList(p, "tokens", tokens.size(), "token budgets");
      if (!flops.isEmpty()) p.add("flops is for mode \"isoflop\"; a grid takes params × tokens");
    } else if (ISOFLOP.equals(mode)) {
      requireList(p, "params", params.size(), "model sizes");
      requireList(p, "flops", flops.size(), "compute budgets");
      if (!tokens.isEmpty()) p.add("tokens is for mode \"grid\"; IsoFLOP runs get D = C / 6N");
    }
    String launcher = string(p, o, "launcher", "train");
    if (!launcher.equals("train") && !launcher.equals("simulate")) {
      p.add("launcher=\"" + launcher + "\" is not \"train\" or \"simulate\"");
    }
    int workers = (int) integer(p, o, "workers", launcher.equals("simulate") ? 2 : 1);
    if (workers < 1) p.add("workers=" + workers + " must be > 0");
    if (launcher.equals("train") && workers > 1) p.add("workers=" + workers + " needs launcher \"simulate\"");
    ModelFamily family = family(p, o);
    String data = string(p, o, "data", null);
    if (!p.isEmpty()) throw bad(source, p);
    return new SweepSpec(base, data, mode, family, params, tokens, flops, launcher, workers);
  }

  private static ModelFamily family(List<String> p, JsonObject o) {
    if (!o.has("family")) return ModelFamily.DEFAULT;
    if (!o.get("family").isJsonObject()) {
      p.add("family must be an object with " + FAMILY_KEYS);
      return ModelFamily.DEFAULT;
    }
    JsonObject f = o.getAsJsonObject("family");
    unknownKeys(p, f, FAMILY_KEYS, "family.");
    ModelFamily d = ModelFamily.DEFAULT;
    ModelFamily family = new ModelFamily(
        (int) integer(p, f, "width_step", d.widthStep()), (int) integer(p, f, "head_size", d.headSize()),
        (int) integer(p, f, "width_per_layer", d.widthPerLayer()), (int) integer(p, f, "min_layers", d.minLayers()),
        (int) integer(p, f, "max_layers", d.maxLayers()));
    p.addAll(family.problems());
    return family;
  }

  private static void unknownKeys(List<String> p, JsonObject o, Set<String> known, String prefix) {
    for (String k : o.keySet()) {
      if (!known.contains(k)) p.add("unknown key " + prefix + k + " (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
    }
  }

  private static void requireList(List<String> p, String key, int size, String what) {
    if (size == 0) p.add(key + " is missing or empty: a list of " + what);
  }

  private static String string(List<String> p, JsonObject o, String key, String dflt) {
    if (!o.has(key)) return dflt;
    JsonElement e = o.get(key);
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) return e.getAsString();
    p.add(key + "=" + e + " must be a string");
    return dflt;
  }

  private static long integer(List<String> p, JsonObject o, String key, long dflt) {
    if (!o.has(key)) return dflt;
    JsonElement e = o.get(key);
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() && e.getAsDouble() == Math.rint(e.getAsDouble())) {
      return e.getAsLong();
    }
    p.add(key + "=" + e + " must be a whole number");
    return dflt;
  }

  /** A list of positive numbers (JSON numbers, or strings such as "1e12"); absent is empty. */
  private static List<Double> numbers(List<String> p, JsonObject o, String key) {
    if (!o.has(key)) return List.of();
    if (!o.get(key).isJsonArray()) {
      p.add(key + " must be a list of positive numbers");
      return List.of();
    }
    List<Double> values = new ArrayList<>();
    for (JsonElement e : o.getAsJsonArray(key)) {
      Double v = null;
      if (e.isJsonPrimitive()) {
        JsonPrimitive prim = e.getAsJsonPrimitive();
        try {
          v = prim.isNumber() || prim.isString() ? Double.parseDouble(prim.getAsString()) : null;
        } catch (NumberFormatException ignored) {
          v = null;
        }
      }
      if (v == null || !(v > 0 && v < Double.POSITIVE_INFINITY)) p.add(key + " holds " + e + ": not a positive number");
      else values.add(v);
    }
    return values;
  }

  private static UserFacingFailure bad(String source, List<String> problems) {
    return new UserFacingFailure(ExitCodes.BAD_INPUT, "invalid sweep spec " + source + ":\n  "
        + String.join("\n  ", problems));
  }
}
