"""Hugging Face's tokenizers against ringtrain's byte-level BPE, line by line.

Loads EXPORT_DIR/tokenizer.json twice, as `tokenizers.Tokenizer.from_file` and as transformers'
`AutoTokenizer.from_pretrained(EXPORT_DIR)` (a PreTrainedTokenizerFast), encodes every line of
CORPUS (plain or .gz, one document a line, without its newline) and compares the ids with
IDS_FILE, ringtrain's encoding of the same lines (space-separated ids, one line each). Then
decodes our ids and compares the text with the line. Prints one JSON object: the line count, the
mismatches of each kind, the first 20 lines that differ and the first difference, both sides.

usage: hf_tokenizer_check.py EXPORT_DIR CORPUS IDS_FILE
"""

import gzip
import json
import sys

import tokenizers
import transformers


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def main():
    export_dir, corpus, ids_file = sys.argv[1:4]
    opener = gzip.open if corpus.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8", newline="\n") as f:
        lines = [line[:-1] if line.endswith("\n") else line for line in f]
    with open(ids_file) as f:
        ours = [[int(x) for x in line.split()] for line in f]
    assert len(ours) == len(lines), (len(ours), len(lines))

    raw = tokenizers.Tokenizer.from_file(export_dir + "/tokenizer.json")
    fast = transformers.AutoTokenizer.from_pretrained(export_dir)
    report = {"lines": len(lines), "tokens": sum(len(x) for x in ours),
              "tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
              "tokenizer_class": type(fast).__name__}
    def compare(name, theirs, expected, context):
        bad = [i for i in range(len(lines)) if theirs[i] != expected[i]]
        report[name + "_mismatches"] = len(bad)
        report[name + "_mismatch_lines"] = bad[:20]
        if bad:
            i = bad[0]
            at = first_difference(theirs[i], expected[i])
            report[name + "_first"] = {"line": i, "text": lines[i][:200], "position": at,
                                       "hf": theirs[i][max(0, at - context):at + context],
                                       "ours": expected[i][max(0, at - context):at + context]}

    compare("encode_tokenizers", [e.ids for e in raw.encode_batch(lines, add_special_tokens=False)], ours, 4)
    compare("encode_transformers", fast(lines, add_special_tokens=False)["input_ids"], ours, 4)
    compare("decode_tokenizers", raw.decode_batch(ours, skip_special_tokens=False), lines, 20)
    compare("decode_transformers", fast.batch_decode(ours, skip_special_tokens=False), lines, 20)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
