package io.ringtrain.cli;

import io.ringtrain.launch.PrometheusEndpoint;
import io.ringtrain.proto.JobSpec;
import java.io.IOException;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** --metrics-port and --metrics-host, for the commands that run a job (train, simulate, submit, resume). */
final class MetricsOptions {
  /** No endpoint. */
  static final MetricsOptions NONE = new MetricsOptions();

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve the job's metrics in Prometheus's text format at http://HOST:PORT/metrics while it runs"
          + " (0: a free port, printed). Without it, no endpoint.")
  Integer port;

  // Loopback by default: the endpoint has no authentication, and a job's numbers are not for every
  // network it is on. A Prometheus on another machine needs --metrics-host 0.0.0.0 (or an interface).
  @Option(names = "--metrics-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Address the metrics endpoint listens on (default ${DEFAULT-VALUE}, this machine only; 0.0.0.0"
          + " for every interface). It has no authentication.")
  String host = "127.0.0.1";

  /** The endpoint for {@code spec}'s job, or null when no --metrics-port was given. */
  PrometheusEndpoint start(JobSpec spec, long totalSteps, PrintStream out) throws IOException {
    if (port == null) return null;
    PrometheusEndpoint endpoint = PrometheusEndpoint.start(host, port, spec, totalSteps);
    out.println("metrics for Prometheus on http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
        + endpoint.port() + "/metrics");
    return endpoint;
  }
}
