#!/usr/bin/python3
"""The machine's measured sgemm peak, the denominator of MFU: torch.mm on square float32
matrices, median of 5 calls after 2 warm-up calls, GFLOP/s = 2 n^3 / time. Each JSON line names
the torch and the BLAS it ran on ("blas").

This 2-core machine's speed drifts through the day (OpenBLAS 4096^3 at 2 threads: 245 GFLOP/s
one morning, 188 that afternoon), so measure the peak in the same hour as the MFU it divides.
Run with /usr/bin/python3 (Debian's python3-torch 1.13 with libopenblas0-openmp: OpenBLAS) or
with target/python-venv/bin/python (the 2.13 wheel: MKL, linked into libtorch_cpu); the two
libraries reach different peaks on this AMD CPU, which is why bench/compare-train.sh prints both.
"""

import argparse
import json
import os
import re
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_step.py
import torch  # noqa: E402


def blas_library():
    """MKL where torch says it was built with it (linked in, so not in the process's maps); else
    the BLAS shared objects mapped into this process (Debian's 1.13: libblas.so.3, an alternative
    that may be OpenBLAS, BLIS or the reference), numpy's own bundled copy left out."""
    info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    info = info.group(1) if info else "unknown"
    if info == "mkl":
        return "mkl"
    with open("/proc/self/maps") as maps:
        mapped = sorted({os.path.basename(line.split()[-1]) for line in maps
                         if re.search("blas|blis|mkl", line, re.I) and "numpy" not in line})
    for lib in ("openblas", "blis"):
        if any(lib in m.lower() for m in mapped):
            return lib
    return "%s (%s)" % (info, ", ".join(mapped) or "none mapped")


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
                          "gflops": round(2 * n ** 3 / statistics.median(times) / 1e9, 1),
                          "torch": torch.__version__, "blas": blas_library()}))


if __name__ == "__main__":
    main()
