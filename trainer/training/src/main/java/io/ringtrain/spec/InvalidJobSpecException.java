package io.ringtrain.spec;

import java.util.List;

/** A job spec that cannot run: every problem names the field, its value and the reason. */
public final class InvalidJobSpecException extends IllegalArgumentException {
  private final List<String> problems;

  public InvalidJobSpecException(String source, List<String> problems) {
    super("invalid job spec" + (source == null ? "" : " " + source) + ":\n  " + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
