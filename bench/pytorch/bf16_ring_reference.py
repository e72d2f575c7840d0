#!/usr/bin/env python3
"""ringtrain's bf16 ring all-reduce, emulated in PyTorch: the reference a test holds the ring to.

Chunk c = [c*L//N, (c+1)*L//N) of the region is summed in ring order starting at rank c; every
hop sends its partial sum rounded to bf16 (torch's float -> bfloat16 cast: round to nearest even)
and the next rank adds its own fp32 values to the widened bf16 in fp32:
r(r(r(x_c) + x_c+1) + x_c+2) ... The all-gather hands the last rounding to everyone. PyTorch DDP's
bf16_compress_hook rounds every rank's gradient to bf16 first and sums in bf16; here each rank's
own contribution stays fp32 and only what crosses the wire is rounded.

Usage: bf16_ring_reference.py INPUTS OUTPUT N LENGTH. INPUTS: N x LENGTH little-endian float32
(rank by rank); OUTPUT: LENGTH little-endian float32. Prints one JSON line: the largest error of
this result and of the hook's order, relative to the sum of magnitudes, against the exact sum.
"""
import json
import sys

import numpy as np
import torch

inputs, output, n, length = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
x = torch.from_numpy(np.fromfile(inputs, dtype="<f4").reshape(n, length).copy())
result = torch.empty(length, dtype=torch.float32)
for c in range(n):
    lo, hi = c * length // n, (c + 1) * length // n
    s = x[c, lo:hi].to(torch.bfloat16)
    for k in range(1, n):
        s = (s.float() + x[(c + k) % n, lo:hi]).to(torch.bfloat16)
    result[lo:hi] = s.float()
result.numpy().astype("<f4").tofile(output)

exact = x.double().sum(0)
scale = x.double().abs().sum(0).clamp_min(1e-300)
hook = x.to(torch.bfloat16)
acc = hook[0]
for k in range(1, n):
    acc = acc + hook[k]  # bf16 + bf16 -> bf16, as a bf16 all-reduce sums
print(json.dumps({
    "ring_rel_error": float(((result.double() - exact).abs() / scale).max()),
    "hook_rel_error": float(((acc.double() - exact).abs() / scale).max()),
}))
