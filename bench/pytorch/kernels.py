#!/usr/bin/python3
"""PyTorch reference for `ringtrain bench kernels`: the training step's kernels, one at a time.

The same kernels at the same shapes as ringtrain's JMH benchmarks (bench/src/main/java/io/
ringtrain/bench/kernels): the four projections and the LM head forward (F.linear) and backward
(the two products autograd computes, dinp = dout . W and dW += dout^T . inp, and the bias
gradient), causal attention as nanoGPT writes it without a fused kernel (q.k^T, mask, softmax,
.v; backward through autograd), LayerNorm, tanh-GELU, the residual add, cross-entropy over the
real vocabulary of the padded logits, and AdamW over all parameters (foreach when available).

Each kernel: warm-up calls, then the median of timed calls (at least --min-time seconds in all).
Prints one JSON object per kernel per line, with the kernel names of `ringtrain bench kernels
--json`, so bench/compare-kernels.sh can join them. Run with /usr/bin/python3 (Debian's
python3-torch; install libopenblas0-openmp or torch uses the reference BLAS).
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_step.py

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    sys.stderr.write("kernels.py: PyTorch is not installed for %s (%s); install it with: "
                     "apt-get install -y python3-torch libopenblas0-openmp\n" % (sys.executable, e))
    sys.exit(3)

from train_step import CONFIGS  # (n_layer, n_head, n_embd, context, batch, vocab)


def padded(vocab):
    return (vocab + 127) // 128 * 128


def timed(fn, warmup, min_time):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while not times or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, len(times)


def kernels(model):
    n_layer, n_head, c, t, b, vocab = CONFIGS[model]
    n = b * t
    vp = padded(vocab)
    g = torch.Generator().manual_seed(1)
    rnd = lambda *shape, std=1.0: torch.randn(*shape, generator=g) * std
    out = []

    for layer, (cin, cout) in [("qkv", (c, 3 * c)), ("attproj", (c, c)), ("fc", (c, 4 * c)),
                               ("fcproj", (4 * c, c)), ("lmhead", (c, vp))]:
        x, w = rnd(n, cin), rnd(cout, cin, std=0.02)
        bias = None if layer == "lmhead" else rnd(cout, std=0.02)
        dout, dw = rnd(n, cout), torch.zeros(cout, cin)
        db = None if bias is None else torch.zeros(cout)
        flops = 2.0 * n * cin * cout

        def backward(dout=dout, w=w, x=x, dw=dw, db=db):
            dx = dout @ w
            dw.addmm_(dout.t(), x)
            if db is not None:
                db.add_(dout.sum(0))
            return dx

        out.append(("matmul.%s.forward" % layer, lambda x=x, w=w, bias=bias: F.linear(x, w, bias),
                    flops))
        out.append(("matmul.%s.backward" % layer, backward, 2 * flops))

    hs = c // n_head
    qkv = rnd(b, t, 3 * c).requires_grad_()
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))

    def attention():
        q, k, v = qkv.split(c, dim=2)
        q, k, v = (z.view(b, t, n_head, hs).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / hs ** 0.5)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        return (att @ v).transpose(1, 2).contiguous().view(b, t, c)

    att_out = attention()
    att_dout = rnd(b, t, c)
    att_flops = 2.0 * b * t * t * c  # the causal half, as ringtrain counts it
    out.append(("attention.forward", lambda: attention(), att_flops))
    out.append(("attention.backward",
                lambda: torch.autograd.grad(att_out, qkv, att_dout, retain_graph=True), 2 * att_flops))

    x = rnd(n, c).requires_grad_()
    w, bb = rnd(c), rnd(c)
    ln = F.layer_norm(x, (c,), w, bb, 1e-5)
    dy = rnd(n, c)
    out.append(("layernormForward", lambda: F.layer_norm(x, (c,), w, bb, 1e-5), None))
    out.append(("layernormBackward", lambda: torch.autograd.grad(ln, x, dy, retain_graph=True), None))

    h = rnd(n, 4 * c).requires_grad_()
    gl = F.gelu(h, approximate="tanh")
    dh = rnd(n, 4 * c)
    out.append(("geluForward", lambda: F.gelu(h, approximate="tanh"), None))
    out.append(("geluBackward", lambda: torch.autograd.grad(gl, h, dh, retain_graph=True), None))
    y = rnd(n, c)
    out.append(("residualForward", lambda: torch.add(x, y), None))

    logits = (rnd(n, vp) * 2).requires_grad_()
    targets = torch.randint(0, vocab, (n,), generator=g)
    loss = F.cross_entropy(logits[:, :vocab], targets)
    out.append(("crossEntropyForward", lambda: F.cross_entropy(logits[:, :vocab], targets), None))
    out.append(("crossEntropyBackward",
                lambda: torch.autograd.grad(loss, logits, retain_graph=True), None))

    n_params = param_count(n_layer, c, t, vp)
    p = torch.nn.Parameter(rnd(n_params, std=0.02))
    p.grad = rnd(n_params, std=0.01)
    opt = torch.optim.AdamW([p], lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    out.append(("adamw", opt.step, None))
    return n, out


def param_count(n_layer, c, t, vp):
    """ringtrain's flat parameter buffer: wte (padded), wpe, the blocks, the final LayerNorm."""
    per_layer = 2 * c + 3 * c * c + 3 * c + c * c + c + 2 * c + 4 * c * c + 4 * c + 4 * c * c + c
    return vp * c + t * c + n_layer * per_layer + 2 * c


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="M", type=str.upper, choices=sorted(CONFIGS))
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds of timed calls per kernel")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads or os.cpu_count())
    _, ks = kernels(args.model)
    for name, fn, flops in ks:
        ms, calls = timed(fn, args.warmup, args.min_time)
        print(json.dumps({"kernel": name, "ms": round(ms, 4), "calls": calls,
                          "gflops": None if flops is None else round(flops / (ms * 1e6), 2),
                          "threads": torch.get_num_threads(), "torch": torch.__version__}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
