package io.ringtrain.metrics;

import java.io.IOException;

/** A metrics.jsonl line that is not a JSON object: bad input, not a failing filesystem. */
public final class MalformedMetricsException extends IOException {
  public MalformedMetricsException(String message) {
    super(message);
  }
}
