"""`ringtrain export` through Hugging Face transformers: loss on a shard and greedy generation.

Loads EXPORT_DIR with `GPT2LMHeadModel.from_pretrained` exactly as a user would (no name
mapping, no transposes of our own), reports what the loader found missing or unexpected, then
 - scores the shard in `ringtrain eval`'s layout (batch k, sequence i starting at token
   (k*B + i)*T, inputs the T tokens there, targets the next T) with float32 logits and
   cross-entropy, averaging the K batch means as eval does;
 - continues PROMPT_IDS greedily with `model.generate(do_sample=False)`, stopping at
   <|endoftext|> (config.json's eos_token_id) or after MAX_NEW tokens, like
   `ringtrain sample --temperature 0`.
Prints one JSON object: loss, batch losses, generated ids (prompt excluded, the end-of-text
token dropped, as sample never prints it), and the loading info.

usage: hf_model_check.py EXPORT_DIR SHARD.bin B T K PROMPT_IDS MAX_NEW
  PROMPT_IDS: comma-separated token ids, <|endoftext|> first as sample starts a document
"""

import json
import os
import sys

import torch
import torch.nn.functional as F
import transformers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_export import read_shard  # noqa: E402


def main():
    export_dir, shard = sys.argv[1], sys.argv[2]
    B, T, K = (int(x) for x in sys.argv[3:6])
    prompt = [int(x) for x in sys.argv[6].split(",")]
    max_new = int(sys.argv[7])
    torch.manual_seed(0)
    model, info = transformers.GPT2LMHeadModel.from_pretrained(export_dir, output_loading_info=True)
    model.eval()
    tokens = read_shard(shard)
    losses = []
    with torch.no_grad():
        for k in range(K):
            rows = torch.stack([tokens[(k * B + i) * T:(k * B + i) * T + T + 1] for i in range(B)])
            logits = model(rows[:, :-1]).logits.float()
            losses.append(F.cross_entropy(logits.reshape(-1, logits.size(-1)), rows[:, 1:].reshape(-1)).item())
        eot = model.config.eos_token_id
        out = model.generate(torch.tensor([prompt]), max_new_tokens=max_new, do_sample=False,
                             eos_token_id=eot, pad_token_id=eot, attention_mask=torch.ones(1, len(prompt)))
    generated = out[0, len(prompt):].tolist()
    if eot in generated:
        generated = generated[:generated.index(eot)]
    print(json.dumps({
        "loss": sum(losses) / len(losses), "batch_losses": losses, "generated": generated,
        "missing_keys": sorted(info["missing_keys"]), "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": [str(m) for m in info["mismatched_keys"]],
        "transformers": transformers.__version__, "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
