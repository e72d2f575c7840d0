#!/usr/bin/python3
"""PyTorch gloo all-reduce on 127.0.0.1: the reference for `ringtrain bench allreduce`.

N processes (torch.multiprocessing), one float32 tensor of M MiB each, `dist.all_reduce` (sum).
An iteration's time is the slowest rank's; the figure is the median over the timed iterations
after warm-up, with nccl-tests' definitions: algbw = bytes / time, busbw = algbw * 2(N-1)/N.

usage: /usr/bin/python3 bench/pytorch/allreduce_gloo.py --workers N --mib M [--iterations K] [--json]
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


def rank_main(rank, world, port, floats, warmup, iterations, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=world)
    x = torch.ones(floats, dtype=torch.float32)
    times = []
    for i in range(warmup + iterations):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(x)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    out[rank] = times
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    floats = a.mib * 1024 * 1024 // 4
    manager = mp.Manager()
    out = manager.dict()
    mp.spawn(rank_main, args=(a.workers, free_port(), floats, a.warmup, a.iterations, out), nprocs=a.workers)
    slowest = [max(out[r][i] for r in range(a.workers)) for i in range(a.iterations)]
    t = statistics.median(slowest)
    nbytes = floats * 4
    algbw = nbytes / t / 1e9
    busbw = algbw * 2 * (a.workers - 1) / a.workers
    r = {"workers": a.workers, "bytes": nbytes, "iterations": a.iterations, "median_ms": t * 1e3,
         "algbw_gbps": algbw, "busbw_gbps": busbw, "torch": torch.__version__}
    print(json.dumps(r) if a.json else
          "gloo allreduce workers=%d size=%d MiB median=%.2f ms algbw=%.2f GB/s busbw=%.2f GB/s"
          % (a.workers, a.mib, t * 1e3, algbw, busbw))


if __name__ == "__main__":
    main()
