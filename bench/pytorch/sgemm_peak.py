#!/usr/bin/python3
"""The machine's measured sgemm peak, the denominator of MFU: torch.mm (OpenBLAS) on square
float32 matrices, median of 5 calls after 2 warm-up calls, GFLOP/s = 2 n^3 / time.

This 2-core machine's speed drifts through the day (OpenBLAS 4096^3 at 2 threads: 245 GFLOP/s
one morning, 188 that afternoon), so measure the peak in the same hour as the MFU it divides.
Run with /usr/bin/python3 (Debian's python3-torch with libopenblas0-openmp).
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_step.py
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    ap.add_argument("--sizes", default="1024,2048,4096")
    args = ap.parse_args()
    torch.set_num_threads(args.threads or os.cpu_count())
    for n in map(int, args.sizes.split(",")):
        a, b = torch.randn(n, n), torch.randn(n, n)
        for _ in range(2):
            a @ b
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t0)
        print(json.dumps({"n": n, "threads": torch.get_num_threads(),
                          "gflops": round(2 * n ** 3 / statistics.median(times) / 1e9, 1)}))


if __name__ == "__main__":
    main()
