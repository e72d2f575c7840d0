#!/usr/bin/python3
"""Independent check of `ringtrain export`: load model.safetensors into PyTorch and score tokens.

Reads the safetensors file with nothing but json and struct (the format: 8-byte little-endian
header length, a JSON header of dtype/shape/data_offsets, raw row-major data), maps the Hugging
Face GPT-2 names onto the plain nanoGPT model of train_step.py (Conv1D weights are (in, out):
transposed back into nn.Linear's (out, in)), and prints the loss on the token shard in the
`ringtrain eval` layout: batch b, sequence i starting at token (b*B + i)*T. The same number from
`ringtrain eval --checkpoint ... --data ... --batch B --context T --batches K --json` shows the
export and both forward passes agree.

usage: /usr/bin/python3 bench/pytorch/check_export.py EXPORT_DIR SHARD.bin [B T K]
"""

import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_step import GPT  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t
        lo, hi = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[lo:hi]), dtype=torch.float32).reshape(t["shape"])
    return tensors


def read_shard(path):
    raw = open(path, "rb").read()
    magic, version, count = struct.unpack("<iii", raw[:12])
    body = raw[1024:] if magic == 20240520 else raw
    return torch.frombuffer(bytearray(body), dtype=torch.int16).to(torch.int64) & 0xFFFF


def main():
    export_dir, shard = sys.argv[1], sys.argv[2]
    B, T, K = (int(x) for x in sys.argv[3:6]) if len(sys.argv) > 3 else (8, 0, 10)
    cfg = json.load(open(os.path.join(export_dir, "config.json")))
    T = T or cfg["n_positions"]
    st = read_safetensors(os.path.join(export_dir, "model.safetensors"))
    model = GPT(cfg["n_layer"], cfg["n_head"], cfg["n_embd"], cfg["n_positions"], cfg["vocab_size"])
    sd = {"wte.weight": st["transformer.wte.weight"], "wpe.weight": st["transformer.wpe.weight"],
          "ln_f.weight": st["transformer.ln_f.weight"], "ln_f.bias": st["transformer.ln_f.bias"]}
    for i in range(cfg["n_layer"]):
        h = "transformer.h.%d." % i
        for ln in ("ln_1", "ln_2"):
            sd["h.%d.%s.weight" % (i, ln)] = st[h + ln + ".weight"]
            sd["h.%d.%s.bias" % (i, ln)] = st[h + ln + ".bias"]
        for lin in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"):
            sd["h.%d.%s.weight" % (i, lin)] = st[h + lin + ".weight"].t().contiguous()
            sd["h.%d.%s.bias" % (i, lin)] = st[h + lin + ".bias"]
    sd["lm_head.weight"] = sd["wte.weight"]
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all("mask" in m for m in missing), (missing, unexpected)
    model.eval()
    tokens = read_shard(shard)
    total = 0.0
    with torch.no_grad():
        for k in range(K):
            rows = [tokens[(k * B + i) * T:(k * B + i) * T + T + 1] for i in range(B)]
            batch = torch.stack(rows)
            total += model(batch[:, :-1].contiguous(), batch[:, 1:].contiguous()).item()
    loss = total / K
    print(json.dumps({"loss": loss, "batches": K, "batch": B, "context": T, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
