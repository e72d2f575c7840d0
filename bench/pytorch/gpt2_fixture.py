#!/usr/bin/python3
"""Writes the PyTorch fixture that GptPyTorchFixtureTest checks ringtrain against, as llm.c's
test_gpt2.c checks train_gpt2.c against the state its train_gpt2.py dumped.

The model is GPT-2 written with PyTorch's own modules and functions, not translated from the
Java: nn.Embedding for the token and position embeddings (the token table has the padded
vocabulary's rows, the padding rows zero), pre-LayerNorm blocks of F.layer_norm, causal
attention (F.scaled_dot_product_attention where this torch has it, the explicit softmax form on
older ones) behind one fused nn.Linear for q, k and v, an MLP of nn.Linear, tanh-GELU
(F.gelu(approximate='tanh'), or its formula where this torch lacks the argument) and
nn.Linear, a final LayerNorm and an LM head tied to the token embedding. The loss is
F.cross_entropy over the real vocabulary's columns of the logits.

Training, 10 steps on the same batch: torch.optim.AdamW with weight decay only on tensors of two
or more dimensions (nanoGPT's rule: the matmul weights and both embeddings), a LambdaLR of
linear warmup then cosine decay to min_lr_ratio (llm.c's schedule, step 0 gets lr/warmup),
torch.nn.utils.clip_grad_norm_ before each step.

The initial parameters and the tokens come from numpy's PCG64, not torch's generator, so every
torch version starts from the same values and two fixtures can be compared (--compare).

File format (little-endian): b"RTFX", uint32 version (1), uint32 entry count, then per entry
uint16 name length, the UTF-8 name, uint8 dtype (0 float32, 1 int32), uint8 rank, rank x uint32
dims, and the values row-major. Entries:
  config (int32): n_layer, n_head, n_embd, block_size, vocab_size, padded_vocab_size, B, T
  hparams (float32): lr, min_lr_ratio, warmup_steps, steps, beta1, beta2, eps, weight_decay,
    grad_clip
  tokens (int32, B*T+1): the stream; row b is tokens[b*T : b*T+T], its targets one further
  param.NAME, grad.NAME, final.NAME (float32): each parameter before training, its gradient on
    the first step (before clipping), and its value after the 10 steps; NAME is the module path
    (wte, wpe, h.0.ln_1.weight, h.0.attn.c_attn.weight, ..., ln_f.bias)
  logits (float32, B x T x padded_vocab_size), loss (float32, 1): the first forward
  losses, norms, lrs (float32, 10): per step the loss before the update, the gradient norm
    before clipping, and the learning rate

Usage: gpt2_fixture.py OUT.bin   |   gpt2_fixture.py --compare A.bin B.bin
"""

import argparse
import math
import struct
import sys

import numpy as np

CONFIG = dict(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=250, vocab_multiple=64, B=2)
HPARAMS = dict(lr=1e-2, min_lr_ratio=0.1, warmup_steps=3, steps=10, beta1=0.9, beta2=0.95, eps=1e-8,
               weight_decay=0.1, grad_clip=1.0)
HPARAM_ORDER = ["lr", "min_lr_ratio", "warmup_steps", "steps", "beta1", "beta2", "eps", "weight_decay",
                "grad_clip"]
SEED = 1234


def build_and_train():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    c = CONFIG
    C, NH, T, V = c["n_embd"], c["n_head"], c["block_size"], c["vocab_size"]
    Vp = -(-V // c["vocab_multiple"]) * c["vocab_multiple"]
    B = c["B"]

    def gelu(x):
        try:
            return F.gelu(x, approximate="tanh")
        except TypeError:  # torch before 1.12 has only the erf form
            return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(C, 3 * C)
            self.c_proj = nn.Linear(C, C)

        def forward(self, x):
            q, k, v = self.c_attn(x).split(C, dim=2)
            q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))
            if hasattr(F, "scaled_dot_product_attention"):
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
                mask = torch.ones(T, T, dtype=torch.bool).tril()
                y = att.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
            return self.c_proj(y.transpose(1, 2).reshape(B, T, C))

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(C, 4 * C)
            self.c_proj = nn.Linear(4 * C, C)

        def forward(self, x):
            return self.c_proj(gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(C)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(C)
            self.mlp = Mlp()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class Gpt(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(Vp, C)
            self.wpe = nn.Embedding(T, C)
            self.h = nn.ModuleList(Block() for _ in range(c["n_layer"]))
            self.ln_f = nn.LayerNorm(C)

        def forward(self, idx, targets):
            x = self.wte(idx) + self.wpe(torch.arange(T))
            for block in self.h:
                x = block(x)
            logits = F.linear(self.ln_f(x), self.wte.weight)
            loss = F.cross_entropy(logits[..., :V].reshape(-1, V), targets.reshape(-1))
            return logits, loss

    model = Gpt()
    rng = np.random.default_rng(SEED)
    # Biases and LayerNorm shifts start away from zero and the scales away from one, so that a
    # wrong rule for which tensors decay moves them visibly.
    with torch.no_grad():
        for name, p in model.named_parameters():
            values = rng.standard_normal(p.shape) * 0.02
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                values += 1.0
            if name == "wte.weight":
                values[V:] = 0.0
            p.copy_(torch.from_numpy(values.astype(np.float32)))
    tokens = rng.integers(0, V, size=B * T + 1).astype(np.int32)
    stream = torch.from_numpy(tokens.astype(np.int64))
    x = torch.stack([stream[b * T:b * T + T] for b in range(B)])
    y = torch.stack([stream[b * T + 1:b * T + T + 1] for b in range(B)])

    out = {}
    out["config"] = np.array([c["n_layer"], NH, C, T, V, Vp, B, T], dtype=np.int32)
    out["hparams"] = np.array([HPARAMS[k] for k in HPARAM_ORDER], dtype=np.float32)
    out["tokens"] = tokens
    names = [n[:-len(".weight")] if n in ("wte.weight", "wpe.weight") else n for n, _ in model.named_parameters()]
    for n, (_, p) in zip(names, model.named_parameters()):
        out["param." + n] = p.detach().numpy().copy()

    h = HPARAMS
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": h["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"])
    warmup, steps, floor = h["warmup_steps"], h["steps"], h["min_lr_ratio"]

    def lr_factor(it):
        if it < warmup:
            return (it + 1) / warmup
        if it >= steps:
            return floor
        coeff = 0.5 * (1.0 + math.cos(math.pi * (it - warmup) / (steps - warmup)))
        return floor + coeff * (1.0 - floor)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    losses, norms, lrs = [], [], []
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        logits, loss = model(x, y)
        loss.backward()
        if step == 0:
            out["logits"] = logits.detach().numpy().copy()
            out["loss"] = np.array([loss.item()], dtype=np.float32)
            for n, (_, p) in zip(names, model.named_parameters()):
                out["grad." + n] = p.grad.detach().numpy().copy()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), h["grad_clip"])
        losses.append(loss.item())
        norms.append(float(norm))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    for n, (_, p) in zip(names, model.named_parameters()):
        out["final." + n] = p.detach().numpy().copy()
    out["losses"] = np.array(losses, dtype=np.float32)
    out["norms"] = np.array(norms, dtype=np.float32)
    out["lrs"] = np.array(lrs, dtype=np.float32)
    sys.stderr.write("torch %s: losses %s\nnorms %s\n" % (torch.__version__, ", ".join("%.6f" % v for v in losses),
                                                          ", ".join("%.4f" % v for v in norms)))
    return out


def write(path, entries):
    with open(path, "wb") as f:
        f.write(b"RTFX" + struct.pack("<II", 1, len(entries)))
        for name, a in entries.items():
            dtype = {np.dtype(np.float32): 0, np.dtype(np.int32): 1}[a.dtype]
            raw = name.encode("utf-8")
            f.write(struct.pack("<H", len(raw)) + raw + struct.pack("<BB", dtype, a.ndim))
            f.write(struct.pack("<%dI" % a.ndim, *a.shape))
            f.write(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RTFX":
        raise ValueError("%s is not an RTFX fixture" % path)
    _, count = struct.unpack_from("<II", data, 4)
    at, entries = 12, {}
    for _ in range(count):
        (n,) = struct.unpack_from("<H", data, at)
        name = data[at + 2:at + 2 + n].decode("utf-8")
        at += 2 + n
        dtype, rank = struct.unpack_from("<BB", data, at)
        shape = struct.unpack_from("<%dI" % rank, data, at + 2)
        at += 2 + 4 * rank
        dt = np.dtype("<f4") if dtype == 0 else np.dtype("<i4")
        size = int(np.prod(shape)) if rank else 1
        entries[name] = np.frombuffer(data, dt, size, at).reshape(shape)
        at += size * 4
    return entries


def compare(a_path, b_path):
    a, b = read(a_path), read(b_path)
    if a.keys() != b.keys():
        raise SystemExit("the fixtures hold different entries")
    worst_abs, worst_rel = (0.0, ""), (0.0, "")
    for name in a:
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        d = np.abs(x - y)
        scale = max(np.abs(x).max(), 1e-30)
        rel = d.max() / scale
        print("%-28s max abs %.3e  max abs / max |value| %.3e" % (name, d.max(), rel))
        worst_abs = max(worst_abs, (d.max(), name))
        worst_rel = max(worst_rel, (rel, name))
    print("largest: abs %.3e (%s), relative to the tensor's largest value %.3e (%s)"
          % (worst_abs + worst_rel))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.out:
        write(args.out, build_and_train())
    else:
        ap.error("give OUT or --compare A B")


if __name__ == "__main__":
    main()
