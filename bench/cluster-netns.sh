#!/usr/bin/env bash
# A cluster of N hosts on this machine: each host is a network namespace with one veth link to a
# bridge (in a "switch" namespace of its own), the link limited by tbf to a given rate in both
# directions. A coordinator host joins the same bridge without a limit. The root namespace is
# never touched: every interface, address and qdisc lives in namespaces made here.
#
#   bench/cluster-netns.sh run  [--hosts N] [--rate R] [--name NAME] [--timeout S] -- CMD...
#       makes the cluster, runs CMD in the root namespace with the cluster in its environment,
#       and tears the cluster down when CMD ends, fails or is interrupted (Ctrl-C).
#   bench/cluster-netns.sh up   [--hosts N] [--rate R] [--name NAME]   (down: --name NAME)
#   bench/cluster-netns.sh rate --name NAME R        sets every host's link to R (tbf rates: 1gbit, 2500mbit,
#                                                    ...; none: no limit, the veth's own speed)
#   bench/cluster-netns.sh each --name NAME [--timeout S] -- CMD...    CMD in every host at once
#   bench/cluster-netns.sh iperf --name NAME [--seconds S]            one TCP stream h1 -> h0, Gbit/s
#
# CMD's environment (from `run`, or `env --name NAME` prints it):
#   NETNS_NAME, NETNS_COORD (namespace) and NETNS_COORD_ADDR, NETNS_HOSTS and NETNS_ADDRS
#   (space-separated, host i first), RINGTRAIN_WORKER_HOSTS=ns@addr,... (rank i on host i mod N;
#   simulate and bench allreduce read it: docs/cluster.md), NETNS_RATE.
# Addresses: 10.77.0.0/24 on every cluster's own bridge (clusters never share one): the
# coordinator host is 10.77.0.2, host i is 10.77.0.(10+i).
# Delay: none. Of this kernel's qdiscs only tbf, htb and pfifo exist (netem, fq, etf, cake are
# absent), and none of those can hold a packet back for a fixed time: links have a rate, no latency.
# Exit codes: CMD's, or 2 bad usage, 3 namespaces not permitted here (never a silent fallback).
set -euo pipefail

PREFIX=ringtrain
SUBNET=10.77.0
usage() { sed -n 7,24p "$0" >&2; exit 2; }
die() { echo "cluster-netns: $1" >&2; exit "${2:-1}"; }

hosts=2 rate=1gbit name="" timeout=3600 seconds=5
cmd=()
parse() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --hosts) hosts="$2"; shift 2 ;;
      --rate) rate="$2"; shift 2 ;;
      --name) name="$2"; shift 2 ;;
      --timeout) timeout="$2"; shift 2 ;;
      --seconds) seconds="$2"; shift 2 ;;
      --) shift; cmd=("$@"); return ;;
      -h|--help) usage ;;
      *) if [[ $sub == rate && -z ${rate_arg:-} ]]; then rate_arg="$1"; shift; else die "unknown argument $1" 2; fi ;;
    esac
  done
}

[[ $# -ge 1 ]] || usage
sub="$1"; shift
parse "$@"
[[ $hosts =~ ^[0-9]+$ && $hosts -ge 1 && $hosts -le 64 ]] || die "--hosts=$hosts is outside 1..64" 2
[[ $timeout =~ ^[0-9]+$ && $seconds =~ ^[0-9]+$ ]] || die "--timeout and --seconds take whole seconds" 2
[[ -z $name ]] && name="p$$"
[[ $name =~ ^[a-z0-9]{1,12}$ ]] || die "--name=$name: 1 to 12 lowercase letters or digits" 2
SW="$PREFIX-$name-sw"
COORD="$PREFIX-$name-c"
host_ns() { echo "$PREFIX-$name-h$1"; }
host_addr() { echo "$SUBNET.$((10 + $1))"; }
# Hosts that exist for this name, in order; bounded by the 64 a cluster may have.
existing_hosts() {
  local i n=0
  for ((i = 0; i < 64; i++)); do
    ip netns list 2>/dev/null | grep -qx "$(host_ns $i)\( (id: [0-9]*)\)\?" || break
    n=$((n + 1))
  done
  echo "$n"
}

check_permitted() {
  command -v ip >/dev/null || die "network namespaces are not available: no 'ip' command (install iproute2)" 3
  command -v tc >/dev/null || die "no 'tc' command (install iproute2): links cannot be rate-limited" 3
  local probe="$PREFIX-probe$$"
  if ! ip netns add "$probe" 2>/tmp/cluster-netns-probe.$$; then
    local why; why=$(cat /tmp/cluster-netns-probe.$$); rm -f /tmp/cluster-netns-probe.$$
    die "network namespaces are not permitted here (they need root, CAP_SYS_ADMIN and CAP_NET_ADMIN): $why" 3
  fi
  rm -f /tmp/cluster-netns-probe.$$
  ip netns del "$probe"
}

# tbf on both ends of a link: the host's egress (eth0 in the host) and its ingress (the switch
# end's egress). The bucket holds 1 ms at the rate, and never less than two 64 KiB GSO segments.
limit_link() {
  local i="$1" r="$2" bits burst
  ip -n "$(host_ns "$i")" link set eth0 up
  if [[ $r == none ]]; then # the veth's own speed: what the CPUs carry
    ip netns exec "$(host_ns "$i")" tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns exec "$SW" tc qdisc del dev "h$i" root 2>/dev/null || true
    return
  fi
  bits=$(tc_rate_bits "$r") || die "rate '$r' is not a tc rate such as 1gbit, 2500mbit, 100mbit" 2
  burst=$((bits / 8 / 1000)); ((burst < 131072)) && burst=131072
  ip netns exec "$(host_ns "$i")" tc qdisc replace dev eth0 root tbf rate "$r" burst "$burst" latency 50ms
  ip netns exec "$SW" tc qdisc replace dev "h$i" root tbf rate "$r" burst "$burst" latency 50ms
}
tc_rate_bits() {
  local v="${1,,}" n unit
  [[ $v =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || return 1
  n="${BASH_REMATCH[1]}"; unit="${BASH_REMATCH[2]}"
  case "$unit" in bit) echo "$n" ;; kbit) echo $((n * 1000)) ;; mbit) echo $((n * 1000000)) ;; gbit) echo $((n * 1000000000)) ;; esac
}

# Kills what still runs in this cluster's namespaces (only processes started in them) and deletes
# them, which deletes the veth ends and the bridge in them; bounded by the 64 hosts a cluster may have.
down() {
  set +e
  local i ns pid
  for ns in $(for ((i = 0; i < 64; i++)); do host_ns $i; done) "$COORD" "$SW"; do
    ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null || echo "cluster-netns: could not delete namespace $ns" >&2
  done
  return 0
}

attach() { # namespace, switch-side interface name, address
  ip -n "$SW" link add "$2" type veth peer name eth0 netns "$1"
  ip -n "$SW" link set "$2" master br0 up
  ip -n "$1" link set lo up
  ip -n "$1" addr add "$3/24" dev eth0
  ip -n "$1" link set eth0 up
}

up() {
  check_permitted
  if [[ $(existing_hosts) != 0 ]] || ip netns list | grep -q "^$SW\b"; then
    die "a cluster named '$name' exists already (down --name $name)" 2
  fi
  ip netns add "$SW"
  ip -n "$SW" link set lo up
  ip -n "$SW" link add br0 type bridge
  ip -n "$SW" link set br0 up
  ip netns add "$COORD"
  attach "$COORD" c "$SUBNET.2"
  local i
  for ((i = 0; i < hosts; i++)); do
    ip netns add "$(host_ns $i)"
    attach "$(host_ns $i)" "h$i" "$(host_addr $i)"
    limit_link "$i" "$rate"
  done
  echo "cluster-netns: $hosts hosts ${PREFIX}-$name-h0..$((hosts - 1)) at $(host_addr 0)..$(host_addr $((hosts - 1))), links $rate (tbf), coordinator host $COORD at $SUBNET.2" >&2
}

set_rate() {
  local i n; n=$(existing_hosts)
  ((n > 0)) || die "no cluster named '$name'" 2
  for ((i = 0; i < n; i++)); do limit_link "$i" "$1"; done
}

print_env() {
  local i n ns=() addrs=() workers=(); n=$(existing_hosts)
  for ((i = 0; i < n; i++)); do
    ns+=("$(host_ns $i)"); addrs+=("$(host_addr $i)"); workers+=("$(host_ns $i)@$(host_addr $i)")
  done
  echo "NETNS_NAME=$name"
  echo "NETNS_COORD=$COORD"
  echo "NETNS_COORD_ADDR=$SUBNET.2"
  echo "NETNS_HOSTS='${ns[*]}'"
  echo "NETNS_ADDRS='${addrs[*]}'"
  echo "RINGTRAIN_WORKER_HOSTS=$(IFS=,; echo "${workers[*]}")"
}

each() {
  local i n pids=() rc=0; n=$(existing_hosts)
  ((n > 0)) || die "no cluster named '$name'" 2
  for ((i = 0; i < n; i++)); do
    HOST_INDEX=$i HOST_ADDR=$(host_addr $i) timeout "$timeout" ip netns exec "$(host_ns $i)" "${cmd[@]}" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  return $rc
}

# One TCP stream from host 1 to host 0 for --seconds after 1 s of slow start: what one link carries (Gbit/s).
iperf() {
  command -v iperf3 >/dev/null || die "iperf3 is not installed (apt-get install -y iperf3)" 3
  local n; n=$(existing_hosts)
  ((n >= 2)) || die "iperf needs two hosts in cluster '$name'" 2
  ip netns exec "$(host_ns 0)" timeout $((seconds + 40)) iperf3 -s -B "$(host_addr 0)" >/dev/null 2>&1 &
  local server=$! out="" t
  for ((t = 0; t < 20; t++)); do # the server listens within a few seconds or not at all
    # iperf3 3.12 -J exits 0 even when it could not connect: the JSON's "error" tells.
    out=$(ip netns exec "$(host_ns 1)" timeout $((seconds + 15)) iperf3 -c "$(host_addr 0)" -t "$seconds" -O 1 -J 2>/dev/null) \
      && [[ $out != *'"error":'* ]] && break
    out=""; sleep 0.25
  done
  kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  [[ -n $out ]] || die "iperf3 between $(host_ns 1) and $(host_ns 0) failed"
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$out"
}

case "$sub" in
  up) up ;;
  down) down ;;
  rate) [[ -n ${rate_arg:-} ]] || die "usage: rate --name NAME RATE" 2; set_rate "$rate_arg" ;;
  env) print_env ;;
  each) [[ ${#cmd[@]} -gt 0 ]] || die "each needs -- CMD" 2; each ;;
  iperf) iperf ;;
  run)
    [[ ${#cmd[@]} -gt 0 ]] || die "run needs -- CMD" 2
    check_permitted
    trap 'down' EXIT
    trap 'exit 130' INT TERM
    up
    set -a; eval "$(print_env)"; set +a
    export NETNS_RATE="$rate"
    set +e
    timeout "$timeout" "${cmd[@]}"
    rc=$?
    set -e
    exit $rc
    ;;
  *) usage ;;
esac
