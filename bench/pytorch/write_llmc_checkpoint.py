"""Writes a Hugging Face GPT-2 folder as an llm.c model checkpoint (the gpt2_124M.bin layout).

The layout, as llm.c's train_gpt2.py writes it (write_model) and train_gpt2.c reads it
(gpt2_build_from_checkpoint), independently of ringtrain's reader:
 - a header of 256 little-endian int32: magic 20240326, version (3: float32 tensors,
   5: bfloat16), max sequence length, vocabulary size, layers, heads, channels, and the padded
   vocabulary size (the vocabulary rounded up to a multiple of 128); the rest zero;
 - then 16 tensors, each for all layers in turn: wte (padded to Vp rows with zeros), wpe,
   ln_1.weight, ln_1.bias, c_attn.weight, c_attn.bias, attn c_proj.weight, c_proj.bias,
   ln_2.weight, ln_2.bias, c_fc.weight, c_fc.bias, mlp c_proj.weight, c_proj.bias, ln_f.weight,
   ln_f.bias. llm.c's model uses nn.Linear, so the matmul weights are (out, in): the transpose
   of Hugging Face's Conv1D (in, out).

usage: write_llmc_checkpoint.py HF_DIR OUT.bin [float32|bfloat16]
"""

import json
import os
import sys

import torch
from safetensors.torch import load_file

MAGIC = 20240326
VERSIONS = {"float32": 3, "bfloat16": 5}
CONV1D = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
PER_LAYER = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
             "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
             "mlp.c_proj.weight", "mlp.c_proj.bias")


def main():
    hf_dir, out = sys.argv[1], sys.argv[2]
    dtype = sys.argv[3] if len(sys.argv) > 3 else "float32"
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    st = load_file(os.path.join(hf_dir, "model.safetensors"))
    st = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in st.items()}
    L, V = cfg["n_layer"], cfg["vocab_size"]
    Vp = (V + 127) // 128 * 128
    header = torch.zeros(256, dtype=torch.int32)
    header[:8] = torch.tensor([MAGIC, VERSIONS[dtype], cfg["n_positions"], V, L, cfg["n_head"], cfg["n_embd"], Vp])
    wte = st["wte.weight"]
    tensors = [torch.cat([wte, torch.zeros(Vp - V, wte.size(1))]), st["wpe.weight"]]
    for name in PER_LAYER:
        for layer in range(L):
            t = st["h.%d.%s" % (layer, name)]
            tensors.append(t.t() if name in CONV1D else t)
    tensors += [st["ln_f.weight"], st["ln_f.bias"]]
    with open(out, "wb") as f:
        f.write(header.numpy().tobytes())
        for t in tensors:
            t = t.contiguous().to(getattr(torch, dtype))
            # numpy has no bfloat16: its bytes go out as int16
            f.write((t.view(torch.int16) if dtype == "bfloat16" else t).numpy().tobytes())
    print(json.dumps({"wrote": out, "version": VERSIONS[dtype], "padded_vocab": Vp, "bytes": os.path.getsize(out)}))


if __name__ == "__main__":
    main()
