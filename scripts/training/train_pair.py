#!/usr/bin/env python3
"""Trains the bundled pair: a DiffLlama and a Llama of the same width, depth, parameter count, tokenizer, data and steps.

Runs on the GPU machine (torch 2.x, transformers 5.x, tokenizers), from the repo root, with the corpus made by
make_corpus.py carried in .traincarry/:
    python3 scripts/training/train_pair.py --data .traincarry --out /tmp/pair [--steps 2000]
Steps: (1) train a byte-level BPE tokenizer (GPT-2 style, 4096 ids, "<|endoftext|>" as BOS/EOS) on the corpus and
some episodes; (2) build the token rows once: half natural-text windows, half retrieval episodes (episodes.py, with
names_train; each episode whole, questions and answers included, padded with corpus text); (3) train both models on exactly these rows in the same order (two processes, one GPU); (4) save both
with save_pretrained in bf16 next to tokenizer.json, and report validation loss on the held-out corpus.
"""
import argparse
import gzip
import json
import math
import os
import random
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episodes import make_episode  # noqa: E402

SEQ = 1024   # the models' context: every training episode (haystacks up to EPISODE_CHARS) fits whole
EPISODE_CHARS = (200, 3600)
VOCAB = 4096
BOS = "<|endoftext|>"


def model_config(kind):
    from transformers import DiffLlamaConfig, LlamaConfig
    common = dict(vocab_size=VOCAB, hidden_size=256, intermediate_size=640, num_hidden_layers=6,
                  num_attention_heads=8, num_key_value_heads=8, head_dim=32, max_position_embeddings=SEQ,
                  rms_norm_eps=1e-5, tie_word_embeddings=True, rope_theta=10000.0, bos_token_id=0, eos_token_id=0,
                  attn_implementation="sdpa")
    if kind == "diffllama":
        # 8 softmax sub-heads = 4 differential heads of 2 x 32: the same projections (and parameter count) as the
        # standard model's 8 heads, as in the paper's matched comparison.
        return DiffLlamaConfig(lambda_std_dev=0.1, **common)
    return LlamaConfig(**common)


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n").replace(" \\n ", "\n") for line in f]


def train_tokenizer(docs, episodes_text, path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, min_frequency=2, special_tokens=[BOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(docs + episodes_text, trainer=trainer)
    bos = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", special_tokens=[(BOS, bos)])
    tok.save(path)
    return tok


def build_rows(tok, docs, names, n_rows, seed):
    """n_rows x SEQ token ids: even rows are corpus windows, odd rows are episodes padded with corpus text."""
    rng = random.Random(seed)
    bos = tok.token_to_id(BOS)
    stream = []
    for enc in tok.encode_batch(docs, add_special_tokens=False):
        stream.append(bos)
        stream.extend(enc.ids)
    stream = torch.tensor(stream, dtype=torch.int32)
    rows = torch.empty(n_rows, SEQ, dtype=torch.int32)
    n_ep = n_rows // 2
    specs = []
    for _ in range(n_ep):
        n = rng.choice([1, 1, 2, 3, 4, 6])
        r = min(n, rng.choice([1, 2]))
        specs.append((n, r, rng.randint(*EPISODE_CHARS)))
    episodes = [make_episode(rng, docs, names, n, r, chars)["text"] for n, r, chars in specs]
    encoded = [e.ids for e in tok.encode_batch(episodes)]  # with BOS
    # An episode cut short would train a question without its answer (or drop the question): redraw the few that do
    # not fit with a shorter haystack until they do.
    for k, (n, r, chars) in enumerate(specs):
        while len(encoded[k]) > SEQ:
            chars = int(chars * 0.85)
            encoded[k] = tok.encode(make_episode(rng, docs, names, n, r, chars)["text"]).ids
    for i in range(n_rows):
        start = rng.randrange(0, len(stream) - SEQ - 1)
        window = stream[start:start + SEQ]
        if i % 2 == 1:
            ids = torch.tensor(encoded[i // 2], dtype=torch.int32)
            rows[i] = torch.cat([ids, window[:SEQ - len(ids)]])
        else:
            rows[i] = window
    return rows


def lr_at(step, steps, peak, warmup=100):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def quick_retrieval_eval(model, tok, docs, names, n=120):
    """Teacher-forced exact match of every answer (what greedy decoding would produce), on held-out episodes."""
    rng = random.Random(99)
    correct = total = 0
    for i in range(n):
        needles = [1, 2, 4, 6][i % 4]
        ep = make_episode(rng, docs, names, needles, min(2, needles), [600, 1500, 3000][i % 3])
        enc = tok.encode(ep["text"])
        ids = torch.tensor([enc.ids]).cuda()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            pred = model(input_ids=ids).logits[0].argmax(-1)
        for q in ep["queries"]:
            a, b = q["answer_bytes"]  # ASCII text: byte offsets equal char offsets
            toks = [t for t, (s, e) in enumerate(enc.offsets) if s < b and e > a and t > 0]
            total += 1
            correct += all(pred[t - 1].item() == enc.ids[t] for t in toks)
    return correct / max(1, total)


def validation_loss(model, val):
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        losses = [model(input_ids=val[i:i + 32].long().cuda(), labels=val[i:i + 32].long().cuda()).loss.item()
                  for i in range(0, val.shape[0], 32)]
    return sum(losses) / len(losses)


def train_one(kind, rows_path, val_path, out_dir, steps, batch, lr, log_path, data_dir, stop_after):
    from transformers import DiffLlamaForCausalLM, LlamaForCausalLM
    torch.manual_seed(1)  # same initial draw for the shared shapes
    cls = DiffLlamaForCausalLM if kind == "diffllama" else LlamaForCausalLM
    model = cls(model_config(kind)).cuda()
    rows = torch.load(rows_path)
    val = torch.load(val_path)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), fused=True)
    n_params = sum(p.numel() for p in model.parameters())
    from tokenizers import Tokenizer
    eval_tok = Tokenizer.from_file(os.path.join(os.path.dirname(rows_path), "tokenizer.json"))
    eval_docs = read_lines(os.path.join(data_dir, "corpus_eval.txt.gz"))
    eval_names = open(os.path.join(data_dir, "names_eval.txt")).read().split()
    # A run longer than one device call is split: --stop-after saves the state at that step, the next call with the
    # same arguments resumes from it (same rows, same schedule), so the result equals one uninterrupted run.
    state_path = os.path.join(os.path.dirname(rows_path), kind + ".state.pt")
    first = 0
    if os.path.exists(state_path):
        state = torch.load(state_path)
        if state["steps"] != steps or state["batch"] != batch or state["lr"] != lr:
            sys.exit(f"{state_path} is from another run (steps/batch/lr differ): remove it to start over")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        torch.set_rng_state(state["rng"])
        first = state["step"]
    log = open(log_path, "a" if first else "w")
    print(f"{kind}: {n_params} parameters" + (f", resumed at step {first}" if first else ""), file=log, flush=True)
    t0 = time.time()
    model.train()
    for step in range(first, steps):
        if stop_after and step == stop_after:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": torch.get_rng_state(),
                        "step": step, "steps": steps, "batch": batch, "lr": lr}, state_path)
            print(f"{kind} paused at step {step} ({time.time() - t0:.0f}s)", file=log, flush=True)
            return
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr)
        idx = torch.arange(step * batch, (step + 1) * batch) % rows.shape[0]
        x = rows[idx].long().cuda(non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(input_ids=x, labels=x).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"{kind} step {step} loss {loss.item():.4f} {time.time() - t0:.0f}s", file=log, flush=True)
        if step % 1000 == 999:
            model.eval()
            acc = quick_retrieval_eval(model, eval_tok, eval_docs, eval_names, n=40)
            held = validation_loss(model, val)
            model.train()
            print(f"{kind} step {step} held-out retrieval accuracy {acc:.3f}, held-out LM loss {held:.4f}", file=log,
                  flush=True)
    model.eval()
    val_loss = validation_loss(model, val)
    lambdas = []
    if kind == "diffllama":
        for layer in model.model.layers:
            a = layer.self_attn
            lambdas.append(round((torch.exp((a.lambda_q1 * a.lambda_k1).sum()) -
                                  torch.exp((a.lambda_q2 * a.lambda_k2).sum()) + a.lambda_init).item(), 4))
    accuracy = quick_retrieval_eval(model, eval_tok, eval_docs, eval_names)
    print(json.dumps({"kind": kind, "parameters": n_params, "steps": steps, "batch": batch, "seq": SEQ,
                      "val_loss": val_loss, "retrieval_accuracy": accuracy, "lambda": lambdas,
                      "seconds": time.time() - t0}), file=log, flush=True)
    model.to(torch.bfloat16).save_pretrained(out_dir)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=".traincarry")
    p.add_argument("--out", default="/tmp/pair")
    p.add_argument("--steps", type=int, default=8000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--stop-after", type=int, default=0,
                   help="save the training state at this step and stop; rerun the same command to resume")
    p.add_argument("--worker", nargs=2, metavar=("KIND", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args()
    work = os.path.join(a.out, "work")
    if a.worker:
        train_one(a.worker[0], os.path.join(work, "rows.pt"), os.path.join(work, "val.pt"), a.worker[1], a.steps,
                  a.batch, a.lr, os.path.join(work, a.worker[0] + ".log"), a.data, a.stop_after)
        return
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    if all(os.path.exists(os.path.join(work, k + ".state.pt")) for k in ("diffllama", "llama")):
        print("resuming: tokenizer and rows from the paused run", flush=True)
    else:
        prepare(a, work, t0)
    procs = []
    for kind, sub in (("diffllama", "diff"), ("llama", "standard")):
        out_dir = os.path.join(a.out, sub)
        procs.append(subprocess.Popen([sys.executable, __file__, "--data", a.data, "--out", a.out, "--steps",
                                       str(a.steps), "--batch", str(a.batch), "--lr", str(a.lr), "--stop-after",
                                       str(a.stop_after), "--worker", kind, out_dir]))
    codes = [pr.wait() for pr in procs]
    for kind in ("diffllama", "llama"):
        print(open(os.path.join(work, kind + ".log")).read().strip().splitlines()[-1])
    if any(codes):
        sys.exit(f"training failed: exit codes {codes}")
    if a.stop_after and a.stop_after < a.steps:
        print(f"paused at step {a.stop_after} of {a.steps} ({time.time() - t0:.0f}s): run the same command again")
        return
    for kind in ("diffllama", "llama"):
        state = os.path.join(work, kind + ".state.pt")
        if os.path.exists(state):
            os.remove(state)
    for sub in ("diff", "standard"):
        dst = os.path.join(a.out, sub)
        with open(os.path.join(work, "tokenizer.json")) as f, open(os.path.join(dst, "tokenizer.json"), "w") as g:
            g.write(f.read())
    print(f"done in {time.time() - t0:.0f}s")


def prepare(a, work, t0):
    """Trains the tokenizer and writes the training and validation rows into `work`."""
    docs = read_lines(os.path.join(a.data, "corpus_train.txt.gz"))
    val_docs = read_lines(os.path.join(a.data, "corpus_eval.txt.gz"))
    names = open(os.path.join(a.data, "names_train.txt")).read().split()
    rng = random.Random(7)
    sample_eps = [make_episode(rng, docs, names, 2, 1, 600)["text"] for _ in range(2000)]
    tok = train_tokenizer(docs, sample_eps, os.path.join(work, "tokenizer.json"))
    print(f"tokenizer: {tok.get_vocab_size()} ids ({time.time() - t0:.0f}s)", flush=True)
    # At most 8000 steps' worth of distinct rows; longer runs cycle through them (both models alike).
    rows = build_rows(tok, docs, names, min(a.steps, 8000) * a.batch, seed=11)
    torch.save(rows, os.path.join(work, "rows.pt"))
    val = build_rows(tok, val_docs, names, 256, seed=12)[0::2]  # natural-text windows of held-out documents
    torch.save(val, os.path.join(work, "val.pt"))
    print(f"rows: {tuple(rows.shape)} ({time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
