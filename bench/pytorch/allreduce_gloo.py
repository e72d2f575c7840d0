#!/usr/bin/python3
"""PyTorch gloo all-reduce: the reference for `ringtrain bench allreduce`.

N processes, one float32 tensor of M MiB each, `dist.all_reduce` (sum). An iteration's time is
the slowest rank's; the figure is the median over the timed iterations after warm-up, with
nccl-tests' definitions: algbw = bytes / time, busbw = algbw * 2(N-1)/N.

On 127.0.0.1 this script spawns the N ranks itself (torch.multiprocessing). On separate hosts
(bench/cluster-netns.sh) each host runs one rank with --rank R and --master ADDR:PORT (rank 0's
address, where it holds the rendezvous store; GLOO_SOCKET_IFNAME names the host's interface);
rank 0 gathers every rank's times and prints the figure.

Each rank also measures its process's CPU time (every thread: gloo's own run the transfers)
inside the timed iterations; cores_busy is their sum over the iterations' summed wall time, the
same figure `ringtrain bench allreduce` prints, so the two can be set side by side where the CPUs
rather than the link bound them.

usage: /usr/bin/python3 bench/pytorch/allreduce_gloo.py --workers N --mib M [--iterations K] [--json]
       [--rank R --master ADDR:PORT]
"""

import argparse
import json
import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(rank, world, port, floats, warmup, iterations, out, master="127.0.0.1"):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="tcp://%s:%d" % (master, port), rank=rank, world_size=world)
    x = torch.ones(floats, dtype=torch.float32)
    times, cpu = [], 0.0
    for i in range(warmup + iterations):
        dist.barrier()
        c0 = time.process_time()
        t0 = time.perf_counter()
        dist.all_reduce(x)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
            cpu += time.process_time() - c0
    if master == "127.0.0.1":
        out[rank] = (times, cpu)
    else:
        gathered = [None] * world
        dist.all_gather_object(gathered, (times, cpu))
        out.update(enumerate(gathered))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--rank", type=int, help="this host's rank (with --master): one rank per host")
    p.add_argument("--master", help="ADDR:PORT of rank 0's rendezvous store (with --rank)")
    a = p.parse_args()
    if (a.rank is None) != (a.master is None):
        p.error("--rank and --master go together")
    floats = a.mib * 1024 * 1024 // 4
    if a.master:
        host, port = a.master.rsplit(":", 1)
        out = {}
        rank_main(a.rank, a.workers, int(port), floats, a.warmup, a.iterations, out, host)
        if a.rank != 0:
            return
    else:
        manager = mp.Manager()
        out = manager.dict()
        mp.spawn(rank_main, args=(a.workers, free_port(), floats, a.warmup, a.iterations, out), nprocs=a.workers)
    slowest = [max(out[r][0][i] for r in range(a.workers)) for i in range(a.iterations)]
    cores_busy = sum(out[r][1] for r in range(a.workers)) / sum(slowest)
    t = statistics.median(slowest)
    nbytes = floats * 4
    algbw = nbytes / t / 1e9
    busbw = algbw * 2 * (a.workers - 1) / a.workers
    r = {"workers": a.workers, "bytes": nbytes, "iterations": a.iterations, "median_ms": t * 1e3,
         "algbw_gbps": algbw, "busbw_gbps": busbw, "cores_busy": cores_busy, "torch": torch.__version__}
    print(json.dumps(r) if a.json else
          "gloo allreduce workers=%d size=%d MiB median=%.2f ms algbw=%.2f GB/s busbw=%.2f GB/s cores busy=%.2f"
          % (a.workers, a.mib, t * 1e3, algbw, busbw, cores_busy))


if __name__ == "__main__":
    main()
