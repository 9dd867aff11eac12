#!/usr/bin/env python3
"""Checks `diffscope-cli run --maps` against HF transformers on random checkpoints the tests have never seen.

Run where transformers 5.x and torch are installed (the GPU machine):
    python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cuda
Makes a Llama and a DiffLlama of shapes unlike the committed fixtures (GQA 4:1, head_dim 32, untied, attention bias,
rope_parameters), runs the CLI on a random token sequence, and compares logits, A1, A2, D and lambda (or the standard
maps) with the HF eager forward in float32. Exits 1 when any max abs error exceeds 1e-4.
With --models DIR... it checks existing folders (the bundled pair) the same way.
With --make-bench-models DIR it only writes two larger random models (llama, diffllama) for `diffscope-cli bench`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file
from transformers import DiffLlamaConfig, DiffLlamaForCausalLM, LlamaConfig, LlamaForCausalLM

BOUND = 1e-4


def build(kind, seed, **kw):
    torch.manual_seed(seed)
    cls, cfg = (LlamaForCausalLM, LlamaConfig) if kind == "llama" else (DiffLlamaForCausalLM, DiffLlamaConfig)
    model = cls(cfg(attn_implementation="eager", **kw))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias") or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model.float().eval()


def unseen(kind):
    kw = dict(vocab_size=512, hidden_size=128, intermediate_size=200, num_hidden_layers=3, num_attention_heads=8,
              num_key_value_heads=2, head_dim=32, attention_bias=True, tie_word_embeddings=False,
              rope_theta=1e6, max_position_embeddings=256, rms_norm_eps=1e-6)
    if kind == "diffllama":
        kw["lambda_std_dev"] = 0.25
    return build(kind, 1234 if kind == "llama" else 4321, **kw)


def check(cli, device, kind, workdir, path=None):
    """Compares the CLI with HF on `path` (an existing model folder) or on a new unseen random model of `kind`."""
    if path is None:
        model = unseen(kind)
        path = os.path.join(workdir, kind)
        model.save_pretrained(path)
    else:
        cls = LlamaForCausalLM if kind == "llama" else DiffLlamaForCausalLM
        model = cls.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()
    gen = torch.Generator().manual_seed(99)
    ids = torch.randint(0, model.config.vocab_size, (77,), generator=gen)
    maps_path = os.path.join(workdir, kind + ".maps.safetensors")
    cmd = [cli, "run", "--model", path, "--token-ids", ",".join(str(int(i)) for i in ids), "--maps", maps_path,
           "--device", device]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    ours = load_file(maps_path)
    with torch.no_grad():
        out = model(input_ids=ids[None], output_attentions=True, use_cache=False)
    errors = {"logits": (ours["logits"] - out.logits[0]).abs().max().item()}
    H = model.config.num_attention_heads
    for i, att in enumerate(out.attentions):
        att = att[0]
        if kind == "llama":
            errors[f"layer.{i}.attn"] = (ours[f"layer.{i}.attn"] - att).abs().max().item()
            continue
        a = model.model.layers[i].self_attn
        lam = (torch.exp((a.lambda_q1 * a.lambda_k1).sum()) - torch.exp((a.lambda_q2 * a.lambda_k2).sum())
               + a.lambda_init).item()
        a1, a2 = att[: H // 2], att[H // 2:]
        errors[f"layer.{i}.attn1"] = (ours[f"layer.{i}.attn1"] - a1).abs().max().item()
        errors[f"layer.{i}.attn2"] = (ours[f"layer.{i}.attn2"] - a2).abs().max().item()
        errors[f"layer.{i}.diff"] = (ours[f"layer.{i}.diff"] - (a1 - lam * a2)).abs().max().item()
        errors[f"layer.{i}.lambda"] = (ours[f"layer.{i}.lambda"] - lam).abs().max().item()
    # Greedy generation: the CLI's KV-cache path against transformers' generate.
    gen = subprocess.run([cli, "generate", "--model", path, "--token-ids", ",".join(str(int(i)) for i in ids[:20]),
                          "--max-new-tokens", "8", "--device", device], check=True, capture_output=True, text=True)
    ours_ids = json.loads(gen.stdout.splitlines()[1])["ids"]
    with torch.no_grad():
        hf_ids = model.generate(ids[None, :20], max_new_tokens=8, do_sample=False)[0, 20:].tolist()
    errors["generate (ids differing)"] = float(sum(a != b for a, b in zip(ours_ids, hf_ids)) + abs(len(ours_ids) - len(hf_ids)))
    worst = max(errors.values())
    print(f"{path} ({kind}) on {device}: {len(errors)} tensors, worst max abs error {worst:.2e} "
          f"({max(errors, key=errors.get)}) -> {'OK' if worst <= BOUND else 'FAIL'}")
    return worst <= BOUND


def make_bench_models(out):
    # GPT-2-small-like width/depth; the Diff model has the same parameter count (same H counts softmax sub-heads).
    kw = dict(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
              num_attention_heads=12, num_key_value_heads=12, max_position_embeddings=8192)
    for kind in ("llama", "diffllama"):
        build(kind, 7, **kw).save_pretrained(os.path.join(out, kind))
        print("wrote", os.path.join(out, kind))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli")
    p.add_argument("--device", default="cpu")
    p.add_argument("--make-bench-models")
    p.add_argument("--models", nargs="*", help="existing llama/diffllama folders to check instead of random ones")
    a = p.parse_args()
    if a.models:
        kinds = [json.load(open(os.path.join(m, "config.json")))["model_type"] for m in a.models]
        with tempfile.TemporaryDirectory() as work:
            ok = all([check(a.cli, a.device, k, work, m) for k, m in zip(kinds, a.models)])
        return 0 if ok else 1
    if a.make_bench_models:
        make_bench_models(a.make_bench_models)
        return 0
    with tempfile.TemporaryDirectory() as work:
        ok = all([check(a.cli, a.device, kind, work) for kind in ("llama", "diffllama")])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
