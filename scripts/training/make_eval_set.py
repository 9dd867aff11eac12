#!/usr/bin/python3
"""Writes the held-out retrieval episodes and LM text that `diffscope-cli eval-retrieval` scores the bundled models on.

Uses only held-out material (corpus_eval documents, names_eval entities from make_corpus.py), so no episode, name or
haystack document was seen in training. Runs anywhere (pure Python):
    /usr/bin/python3 scripts/training/make_eval_set.py .traincarry assets/eval
Writes <out>/retrieval.jsonl (one episode per line: text, context and answer byte offsets, needle count N, query
count R, haystack length, target depth) and <out>/heldout_text.txt (held-out documents for the LM loss).
"""
import gzip
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episodes import make_episode  # noqa: E402

LENGTHS = [400, 1000, 1800, 2800]    # haystack characters: about 100, 250, 450 and 700 tokens
DEPTHS = [0.0, 0.25, 0.5, 0.75, 1.0]
MULTI = [(1, 1), (2, 2), (4, 2), (6, 2)]
MULTI_CHARS = 1800
PER_CELL_DEPTH = 8
PER_CELL_MULTI = 20


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with gzip.open(os.path.join(data, "corpus_eval.txt.gz"), "rt", encoding="utf-8") as f:
        docs = [line.rstrip("\n").replace(" \\n ", "\n") for line in f]
    names = open(os.path.join(data, "names_eval.txt")).read().split()
    rng = random.Random(2026)
    episodes = []
    for length in LENGTHS:
        for depth in DEPTHS:
            for _ in range(PER_CELL_DEPTH):
                ep = make_episode(rng, docs, names, 1, 1, length, depth=depth)
                ep.update(set="depth", haystack_chars=length, depth_target=depth)
                episodes.append(ep)
    for n, r in MULTI:
        for _ in range(PER_CELL_MULTI):
            ep = make_episode(rng, docs, names, n, r, MULTI_CHARS)
            ep.update(set="multi", haystack_chars=MULTI_CHARS, depth_target=None)
            episodes.append(ep)
    with open(os.path.join(out, "retrieval.jsonl"), "w", encoding="utf-8") as f:
        for i, ep in enumerate(episodes):
            ep["id"] = i
            f.write(json.dumps(ep, ensure_ascii=False) + "\n")
    held = rng.sample(docs, 120)
    with open(os.path.join(out, "heldout_text.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(held) + "\n")
    print(f"wrote {len(episodes)} episodes and {len(held)} held-out documents to {out}")


if __name__ == "__main__":
    main()
