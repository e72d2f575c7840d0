#!/usr/bin/python3
"""PyTorch reference for `ringtrain bench train`: one GPT-2 training step on random tokens.

nanoGPT's GPT model written out plainly (token + learned position embeddings, pre-LayerNorm
blocks, causal self-attention with a fused QKV projection, tanh-GELU MLP of width 4C, final
LayerNorm, LM head tied to the token embedding, cross-entropy), float32, AdamW (lr 6e-4,
betas (0.9, 0.95), weight decay 0.1 on parameters of 2 or more dimensions).

What each torch gets, and the JSON says which ("attention", "adamw", "compiled"):
- attention: F.scaled_dot_product_attention(is_causal=True) where torch has it (2.x), else the
  masked softmax nanoGPT falls back to (1.13);
- AdamW: fused=True where this torch's AdamW runs fused on the CPU (2.13 does), else foreach
  (1.13), else the default loop;
- --compile: the model under torch.compile (2.x only; 1.13 has no torch.compile and exits 3).
  Compilation happens in the first warm-up step; its time is reported (compile_seconds) and
  excluded from the timed steps like the rest of the warm-up.

A timed step is what ringtrain's TrainStepBench times: zero_grad, forward, backward, gradient
clipping to norm 1.0 (ringtrain clips too; --no-clip leaves it out) and the optimizer step. The
warm-up steps are discarded; the median of the timed steps gives ms/step, tokens/s = B*T/median
and MFU with nanoGPT's FLOPs per token, 6N + 12*L*H*Q*T (N counted once for the tied embedding),
against a peak of 245e9 FLOP/s (ringtrain's default: about OpenBLAS sgemm on this machine).

Run it with Debian's interpreter, /usr/bin/python3 (torch 1.13, OpenBLAS), or with the venv the
tests make, target/python-venv/bin/python (torch 2.13, MKL). bench/compare-train.sh runs both.
bench/pytorch/ddp_train.py imports the model, the optimizer and the step from here.
"""

import argparse
import inspect
import json
import math
import os
import statistics
import sys
import time

# On a shared, oversubscribed machine libgomp's default spin-waiting makes 2 threads up to 10x
# slower than 1 (measured here: S at 2 threads, 5.9 s/step spinning, 0.36 s/step passive).
# libgomp reads this when torch loads it, so it is set before the import; the caller may override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the compare script checks for this message
    sys.stderr.write("train_step.py: PyTorch is not installed for %s (%s); "
                     "install it with: apt-get install -y python3-torch libopenblas0-openmp\n"
                     % (sys.executable, e))
    sys.exit(3)

# name: (layers, heads, width, context, batch, vocab), the same shapes as TrainStepBench.shape.
CONFIGS = {
    "S": (4, 4, 128, 128, 16, 512),
    "M": (6, 6, 384, 256, 8, 4096),
    "L": (12, 12, 768, 256, 4, 50304),
}
DEFAULT_PEAK_FLOPS = 245e9
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
ATTENTION = "sdpa" if HAS_SDPA else "masked-softmax"


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, context):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        if not HAS_SDPA:
            mask = torch.tril(torch.ones(context, context, dtype=torch.bool))
            self.register_buffer("mask", mask.view(1, 1, context, context), persistent=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, H, T, Q)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        if HAS_SDPA:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, context):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, context)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, n_layer, n_head, n_embd, context, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(context, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head, context) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2's scaled init of the residual projections
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets):
        b, t = idx.shape
        pos = torch.arange(t, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def make_optimizer(model, lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1):
    """AdamW, fused where this torch runs it fused on the CPU, else foreach; returns (opt, impl)."""
    params = [p for p in model.parameters() if p.requires_grad]  # the tied weight once
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    sig = inspect.signature(torch.optim.AdamW).parameters
    if "fused" in sig:
        try:  # 2.x refuses fused for a device it has no kernel for (CPU before 2.4) right here
            return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=True), "fused"
        except RuntimeError:
            pass
    if "foreach" in sig:
        return torch.optim.AdamW(groups, lr=lr, betas=betas, foreach=True), "foreach"
    return torch.optim.AdamW(groups, lr=lr, betas=betas), "default"


def build(shape, seed, compile_model=False):
    """The model of shape (layers, heads, width, context, batch, vocab), as CONFIGS holds them
    (compiled if asked), its AdamW and one batch of random tokens.

    Returns (model, optimizer, adamw impl, idx, targets)."""
    n_layer, n_head, n_embd, context, batch, vocab = shape
    torch.manual_seed(seed)
    model = GPT(n_layer, n_head, n_embd, context, vocab)
    model.train()
    opt, adamw = make_optimizer(model)
    if compile_model:
        if not hasattr(torch, "compile"):
            sys.stderr.write("train_step.py: torch %s has no torch.compile (2.0 added it); "
                             "run without --compile or with torch 2.x\n" % torch.__version__)
            sys.exit(3)
        model = torch.compile(model)
    idx = torch.randint(0, vocab, (batch, context))
    targets = torch.randint(0, vocab, (batch, context))
    return model, opt, adamw, idx, targets


def train_step(model, opt, idx, targets, clip=True):
    """What ringtrain's TrainStepBench times: zero_grad, forward, backward, clip, AdamW step."""
    opt.zero_grad(set_to_none=True)
    loss = model(idx, targets)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss


def flops_per_token(shape, n_params):
    """nanoGPT's estimate: 6N + 12*L*H*Q*T (N counted once for the tied embedding)."""
    n_layer, n_head, n_embd, context, _, _ = shape
    return 6.0 * n_params + 12.0 * n_layer * n_head * (n_embd // n_head) * context


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="S", type=str.upper, choices=sorted(CONFIGS))
    ap.add_argument("--threads", type=int, default=0,
                    help="intra-op threads (default: all cores; torch alone would use 1 here)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="discarded warm-up steps (default 3)")
    ap.add_argument("--warmup-seconds", type=float, default=10.0,
                    help="keep warming up until this much time has passed too (default 10, as "
                         "ringtrain's bench train, whose JIT needs it)")
    ap.add_argument("--peak-flops", type=float, default=DEFAULT_PEAK_FLOPS)
    ap.add_argument("--no-clip", action="store_true", help="leave out gradient clipping")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--compile", action="store_true",
                    help="run the model under torch.compile (torch 2.x; the compile time is "
                         "reported and not timed)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.steps < 1:
        ap.error("--steps must be at least 1")

    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    model, opt, adamw, idx, targets = build(CONFIGS[args.model], args.seed, args.compile)
    batch, context = idx.shape

    def step():
        return train_step(model, opt, idx, targets, clip=not args.no_clip).item()

    # Warm up for --warmup steps and at least --warmup-seconds, as ringtrain's bench does; under
    # --compile the first step compiles the forward and the backward graphs.
    warm_start = time.perf_counter()
    step()
    compile_seconds = time.perf_counter() - warm_start if args.compile else 0.0
    warmed = 1
    while warmed < args.warmup or time.perf_counter() - warm_start < args.warmup_seconds:
        step()
        warmed += 1
    warmup_seconds = time.perf_counter() - warm_start
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)

    median = statistics.median(times)
    n_params = sum(p.numel() for p in model.parameters())  # tied weight counted once
    fpt = flops_per_token(CONFIGS[args.model], n_params)
    tokens_per_second = batch * context / median
    flops = fpt * tokens_per_second
    mfu = flops / args.peak_flops
    if args.json:
        print(json.dumps({
            "model": args.model, "threads": threads,
            "tokens_per_second": round(tokens_per_second, 1),
            "ms_per_step": round(median * 1e3, 3), "mfu": round(mfu, 4),
            "params": n_params, "torch_version": torch.__version__,
            "batch": batch, "context": context, "steps": args.steps, "warmup": args.warmup,
            "flops_per_token": fpt, "peak_flops": args.peak_flops,
            "clip": not args.no_clip, "attention": ATTENTION, "adamw": adamw,
            "compiled": args.compile, "compile_seconds": round(compile_seconds, 2),
            "warmup_steps": warmed, "warmup_seconds": round(warmup_seconds, 2),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "last_loss": round(loss, 4),
        }))
    else:
        print("model %s threads %d: %.1f ms/step, %.0f tokens/s, %.2f GFLOP/s, MFU %.1f%% of "
              "%.0f GFLOP/s (N=%d, B=%d, T=%d, torch %s, attention %s, AdamW %s, %s)"
              % (args.model, threads, median * 1e3, tokens_per_second, flops / 1e9, 100 * mfu,
                 args.peak_flops / 1e9, n_params, batch, context, torch.__version__, ATTENTION,
                 adamw, "compiled in %.1f s" % compile_seconds if args.compile else "eager"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
