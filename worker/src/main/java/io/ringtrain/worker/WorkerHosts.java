package io.ringtrain.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a launcher on this machine puts each worker: the address its ring binds and announces,
 * and optionally a Linux network namespace to start it in, so that one machine holds a cluster of
 * hosts with links of their own ({@code bench/cluster-netns.sh} makes them). Read from
 * {@value #ENV}: comma-separated entries {@code NETNS@ADDRESS} or {@code ADDRESS}, entry
 * {@code i mod n} for rank i. Unset, every worker runs here and binds the coordinator's host.
 *
 * @param hosts one entry per host; empty: every worker here
 */
public record WorkerHosts(List<Host> hosts) {
  public static final String ENV = "RINGTRAIN_WORKER_HOSTS";
  /** Every worker in this namespace, on the coordinator's host. */
  public static final WorkerHosts HERE = new WorkerHosts(List.of());
  private static final Pattern NETNS = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9_.:-]{1,253}");

  /** One host: {@code netns} is null for this machine's own namespace. */
  public record Host(String netns, String address) {}

  public WorkerHosts {
    hosts = List.copyOf(hosts);
  }

  /** {@value #ENV} of this process, or {@link #HERE} when it is unset or empty. */
  public static WorkerHosts fromEnvironment() {
    String value = System.getenv(ENV);
    return value == null || value.isBlank() ? HERE : parse(value);
  }

  /** Parses {@code NETNS@ADDRESS,ADDRESS,...}; bad entries are named. */
  public static WorkerHosts parse(String value) {
    List<Host> hosts = new ArrayList<>();
    for (String entry : value.split(",", -1)) {
      String e = entry.strip();
      int at = e.indexOf('@');
      String netns = at < 0 ? null : e.substring(0, at);
      String address = at < 0 ? e : e.substring(at + 1);
      if (netns != null && !NETNS.matcher(netns).matches()) {
        throw new IllegalArgumentException(ENV + " entry '" + entry + "': '" + netns
            + "' is not a network namespace name (letters, digits, _ . -)");
      }
      if (!ADDRESS.matcher(address).matches()) {
        throw new IllegalArgumentException(ENV + " entry '" + entry + "' has no address: use NETNS@ADDRESS or ADDRESS");
      }
      hosts.add(new Host(netns, address));
    }
    return new WorkerHosts(hosts);
  }

  /** True when some worker runs in a network namespace of its own. */
  public boolean usesNamespaces() {
    return hosts.stream().anyMatch(h -> h.netns() != null);
  }

  /** What rank {@code rank}'s command line starts with: {@code ip netns exec NETNS}, or nothing. */
  public List<String> commandPrefix(int rank) {
    String netns = hosts.isEmpty() ? null : host(rank).netns();
    return netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
  }

  /** The address rank {@code rank} binds and announces; {@code otherwise} where no host is given. */
  public String address(int rank, String otherwise) {
    return hosts.isEmpty() ? otherwise : host(rank).address();
  }

  private Host host(int rank) {
    return hosts.get(rank % hosts.size());
  }
}
