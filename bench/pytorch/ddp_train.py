#!/usr/bin/env python3
"""PyTorch DDP over gloo, one rank per host: the reference for `ringtrain simulate` end to end.

Each rank trains nanoGPT's model from train_step.py (imported, the same model, AdamW and step that
`bench train`'s reference times) wrapped in torch.nn.parallel.DistributedDataParallel, with one
intra-op thread, on a batch of random tokens: a step's speed does not depend on the token values,
so no dataset is read (every rank draws the same tokens; DDP does not care). The defaults are
ringtrain's model M as bench/compare-e2e-netns.sh runs it: 6 layers, 6 heads, width 384,
context 256, batch 4 per rank; --vocab should be the dataset's that `simulate` trains on.

Two kinds of step alternate (in turn first in a pair), each after a barrier so that every rank
starts it together, and each timed on every rank (the figure for a step is its slowest rank's):
- a DDP step: zero_grad, forward, backward (DDP all-reduces the gradient buckets during it),
  clipping, AdamW;
- a compute step: the same under model.no_sync(), which leaves out the communication.
Exposed communication = step time - compute time, per step pair. During the compute steps the
replicas drift apart (each applies its own gradients); speed does not depend on that either.
--bf16-compress registers DDP's bf16_compress_hook: the buckets travel as bf16, as ringtrain's
--wire-dtype bf16. DDP refuses that hook by its name on a torch built without CUDA and NCCL
(register_comm_hook's check is for NCCL's bf16 support), while gloo all-reduces bf16 on the CPU;
so it is registered under another name, a function that calls the very same hook.
Rank 0 prints one JSON line with the medians.

usage: ddp_train.py --rank R --world N --master ADDR:PORT [--vocab V] [--steps K] [--warmup W]
                    [--bucket-mb 25] [--bf16-compress] [--json]
On separate hosts (bench/cluster-netns.sh) set GLOO_SOCKET_IFNAME to the host's interface; rank 0
holds the rendezvous store at --master, which must be its own address.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_step  # noqa: E402  (sets OMP_WAIT_POLICY before torch loads; exits 3 without torch)
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--world", type=int, required=True)
    ap.add_argument("--master", required=True, help="ADDR:PORT of rank 0's rendezvous store")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--width", type=int, default=384)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4, help="micro-batch per rank (default 4)")
    ap.add_argument("--vocab", type=int, default=4096, help="the dataset's vocabulary (default 4096)")
    ap.add_argument("--steps", type=int, default=20, help="timed step pairs (default 20)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="untimed step pairs first (default 3; DDP rebuilds its buckets in the "
                         "second, so at least 2)")
    ap.add_argument("--bucket-mb", type=float, default=25.0,
                    help="DDP's bucket_cap_mb (default 25, DDP's own default)")
    ap.add_argument("--bf16-compress", action="store_true",
                    help="DDP's bf16_compress_hook: gradients on the wire as bf16")
    ap.add_argument("--no-clip", action="store_true", help="leave out gradient clipping")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--timeout", type=int, default=300, help="seconds to wait for the other ranks")
    ap.add_argument("--json", action="store_true", help="print one JSON object (rank 0)")
    a = ap.parse_args()
    if not 0 <= a.rank < a.world:
        ap.error("--rank must be in 0..world-1")
    if a.steps < 1 or a.warmup < 2:
        ap.error("--steps must be at least 1 and --warmup at least 2")
    host, _, port = a.master.rpartition(":")
    if not host or not port.isdigit():
        ap.error("--master takes ADDR:PORT")

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="tcp://%s:%s" % (host, port), rank=a.rank,
                            world_size=a.world, timeout=datetime.timedelta(seconds=a.timeout))
    shape = (a.layers, a.heads, a.width, a.context, a.batch, a.vocab)
    model, opt, adamw, idx, targets = train_step.build(shape, a.seed)
    # The only buffers are the causal masks of 1.13's attention: constants, and bool, which gloo
    # cannot broadcast; DDP is told to leave them alone (a private call, there since 1.8).
    masks = [name for name, _ in model.named_buffers()]
    if masks:
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, masks)
    ddp = DistributedDataParallel(model, bucket_cap_mb=a.bucket_mb)
    if a.bf16_compress:
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

        def bf16_on_gloo(state, bucket) -> torch.futures.Future[torch.Tensor]:
            return default_hooks.bf16_compress_hook(state, bucket)

        ddp.register_comm_hook(None, bf16_on_gloo)
    clip = not a.no_clip

    def timed(sync):
        dist.barrier()
        t0 = time.perf_counter()
        if sync:
            train_step.train_step(ddp, opt, idx, targets, clip)
        else:
            with ddp.no_sync():
                train_step.train_step(ddp, opt, idx, targets, clip)
        return time.perf_counter() - t0

    steps, computes = [], []
    for i in range(a.warmup + a.steps):
        if i % 2 == 0:  # the order alternates, so that neither kind always runs second
            s, c = timed(True), timed(False)
        else:
            c, s = timed(False), timed(True)
        if i >= a.warmup:
            steps.append(s)
            computes.append(c)

    gathered = [None] * a.world
    dist.all_gather_object(gathered, (steps, computes))
    buckets = None
    logging_data = getattr(ddp, "_get_ddp_logging_data", None)
    if logging_data is not None:  # private, so only where this torch has it
        # DDP starts with one bucket on the CPU and rebuilds them, in gradient order, at the
        # second synced forward; the rebuilt sizes are those the timed steps used.
        data = logging_data()
        buckets = data.get("rebuilt_bucket_sizes") or data.get("bucket_sizes")
    dist.destroy_process_group()
    if a.rank != 0:
        return 0

    step_ms = [1e3 * max(g[0][i] for g in gathered) for i in range(a.steps)]
    compute_ms = [1e3 * max(g[1][i] for g in gathered) for i in range(a.steps)]
    median_step = statistics.median(step_ms)
    tokens_per_step = a.world * a.batch * a.context
    r = {
        "world": a.world, "step_ms": round(median_step, 3),
        "compute_ms": round(statistics.median(compute_ms), 3),
        "exposed_ms": round(statistics.median(s - c for s, c in zip(step_ms, compute_ms)), 3),
        "tokens_per_second": round(tokens_per_step / (median_step / 1e3), 1),
        "tokens_per_step": tokens_per_step, "steps": a.steps, "warmup": a.warmup,
        "shape": dict(zip(("layers", "heads", "width", "context", "batch", "vocab"), shape)),
        "params": sum(p.numel() for p in model.parameters()),
        "bucket_cap_mb": a.bucket_mb, "bucket_bytes": buckets,
        "comm_hook": "bf16_compress" if a.bf16_compress else "none",
        "threads": torch.get_num_threads(), "tokens": "random",
        "torch": torch.__version__, "attention": train_step.ATTENTION, "adamw": adamw, "clip": clip,
    }
    if a.json:
        print(json.dumps(r))
    else:
        print("DDP gloo world %d (%s): %.1f ms/step, compute %.1f ms, exposed %.1f ms, %.0f tokens/s "
              "(torch %s)" % (a.world, r["comm_hook"], r["step_ms"], r["compute_ms"], r["exposed_ms"],
                              r["tokens_per_second"], torch.__version__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
