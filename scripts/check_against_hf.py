#!/usr/bin/env python3
"""Checks `diffscope-cli run --maps` against HF transformers on random checkpoints the tests have never seen.

Run where transformers 5.x and torch are installed (the GPU machine):
    python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cuda
Makes a Llama and a DiffLlama of shapes unlike the committed fixtures (GQA 4:1, head_dim 32, untied, attention bias,
rope_parameters), runs the CLI on a random token sequence, and compares logits, A1, A2, D and lambda (or the standard
maps) with the HF eager forward in float32. Exits 1 when any max abs error exceeds 1e-4.
Also the standard families beside Llama (qwen2, qwen3, mistral, olmo2: --kinds chooses), each from its own HF
classes, and the sliding-window kinds (WINDOWED: mistral_window, qwen2_window, qwen3_window, phi3_window,
gemma3_window), whose windows of 16-24 tokens are shorter than the 77-token prompt and than the 20 + 8 tokens of the
generation check:
    python3 scripts/check_against_hf.py --cli build-gpu/app/diffscope-cli --device cuda \
        --kinds mistral_window,qwen2_window,qwen3_window,phi3_window,gemma3_window
(on CUDA the CLI's statistics of a sliding layer longer than its window are refused until the scan kernels' band is
GPU-tested: engine/layer_scan.h kCudaScanBandVerified; --device cpu checks the rest meanwhile). With --models DIR... it checks existing folders (the bundled pair) the same way.
With --make-bench-models DIR it only writes two larger random models (llama, diffllama) for `diffscope-cli bench`.
With --make-big-models DIR it only writes the 1B-shaped pair below (for the app's benchmark).
With --big DIR it writes 1B-shaped random checkpoints (Llama 3.2 1B's shape: GQA 32:8, tied embeddings, llama3 RoPE
scaling; bf16, sharded with model.safetensors.index.json), checks them on --device the same way (HF in float32 on that
device), and measures the CLI's peak host RSS while it loads each one (bf16 kept, and converted to f32).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file
from transformers import DiffLlamaConfig, DiffLlamaForCausalLM, LlamaConfig, LlamaForCausalLM

BOUND = 1e-4


def classes(kind):
    """The HF model and config classes of a model_type."""
    if kind == "llama":
        return LlamaForCausalLM, LlamaConfig
    if kind == "diffllama":
        return DiffLlamaForCausalLM, DiffLlamaConfig
    import transformers
    if kind == "gpt2":
        return transformers.GPT2LMHeadModel, transformers.GPT2Config
    if kind == "gemma3_text":
        return transformers.Gemma3ForCausalLM, transformers.Gemma3TextConfig
    if kind == "gemma2":
        return transformers.Gemma2ForCausalLM, transformers.Gemma2Config
    prefix = {"qwen2": "Qwen2", "qwen3": "Qwen3", "mistral": "Mistral", "olmo2": "Olmo2", "phi3": "Phi3"}[kind]
    return getattr(transformers, prefix + "ForCausalLM"), getattr(transformers, prefix + "Config")


FAMILIES = ("gpt2", "qwen2", "qwen3", "mistral", "olmo2", "phi3", "gemma3_text", "gemma2")

# Sliding windows shorter than the prompt (HF masks key j for query i unless i - W < j <= i): each kind's base family
# with the config fields that turn them on, on some layers or all.
WINDOWED = {
    "mistral_window": ("mistral", dict(sliding_window=24)),
    "qwen2_window": ("qwen2", dict(use_sliding_window=True, sliding_window=24, max_window_layers=1)),
    "qwen3_window": ("qwen3", dict(use_sliding_window=True, sliding_window=16,
                                   layer_types=["sliding_attention", "full_attention", "sliding_attention"])),
    "phi3_window": ("phi3", dict(sliding_window=16)),
    "gemma3_window": ("gemma3_text", dict(sliding_window=20)),
    "gemma2_window": ("gemma2", dict(sliding_window=20)),
}


def build(kind, seed, **kw):
    torch.manual_seed(seed)
    cls, cfg = classes(kind)
    model = cls(cfg(attn_implementation="eager", **kw))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias") or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model.float().eval()


def unseen(kind):
    if kind in WINDOWED:
        base, window = WINDOWED[kind]
        return unseen_model(base, **window)
    return unseen_model(kind)


def unseen_model(kind, **window):
    kw = dict(vocab_size=512, hidden_size=128, intermediate_size=200, num_hidden_layers=3, num_attention_heads=8,
              num_key_value_heads=2, head_dim=32, attention_bias=True, tie_word_embeddings=False,
              rope_theta=1e6, max_position_embeddings=256, rms_norm_eps=1e-6)
    if kind == "diffllama":
        kw["lambda_std_dev"] = 0.25
    if kind == "gpt2":
        return build("gpt2", 2025, vocab_size=512, n_embd=128, n_head=2, n_layer=3, n_positions=256, n_inner=300,
                     activation_function="gelu_new", layer_norm_epsilon=1e-5)
    if kind in FAMILIES:
        if kind == "qwen2":
            kw.pop("attention_bias")  # Qwen2: q/k/v always biased, o_proj never
        if kind in ("mistral", "phi3"):
            kw.pop("attention_bias")
            kw["sliding_window"] = None
        if kind == "phi3":
            kw["partial_rotary_factor"] = 0.5  # RoPE on 16 of the 32 head dims
            kw.update(pad_token_id=None, bos_token_id=None, eos_token_id=None)  # Phi3Config's 32000 > vocab 512
        if kind == "gemma3_text":  # sliding layers (window above the prompt) beside full ones, final soft-capping
            kw.update(query_pre_attn_scalar=24, sliding_window=128, final_logit_softcapping=30.0,
                      layer_types=["sliding_attention", "sliding_attention", "full_attention"])
        if kind == "gemma2":  # Gemma 2: attention scores soft-capped (low, so that it bites), HF's default layer types
            kw.pop("attention_bias")
            kw.update(query_pre_attn_scalar=24, sliding_window=128, final_logit_softcapping=30.0,
                      attn_logit_softcapping=2.0)
        kw.update(window)
        return build(kind, 2024, **kw)
    if kind == "llama3":
        # Scaling changes every frequency below the high-frequency band once positions pass the original context.
        kw["rope_parameters"] = dict(rope_type="llama3", rope_theta=1e6, factor=8.0, low_freq_factor=1.0,
                                     high_freq_factor=4.0, original_max_position_embeddings=32)
        return build("llama", 777, **kw)
    return build(kind, 1234 if kind == "llama" else 4321, **kw)


def load_hf(kind, path, device="cpu"):
    cls = classes(kind)[0]
    return cls.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").to(device).eval()


def check(cli, device, kind, workdir, path=None, model=None, bound=BOUND):
    """Compares the CLI with HF on `path` (an existing model folder, or `model` already loaded from it) or on a new
    unseen random model of `kind`. HF runs where `model` is (CPU unless given)."""
    if path is None:
        model = unseen(kind)
        path = os.path.join(workdir, kind)  # the kind's own folder (mistral and mistral_window differ)
        model.save_pretrained(path)
        kind = model.config.model_type
    elif model is None:
        model = load_hf(kind, path)
    hf_device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(99)
    ids = torch.randint(0, model.config.vocab_size, (77,), generator=gen)
    maps_path = os.path.join(workdir, kind + ".maps.safetensors")
    cmd = [cli, "run", "--model", path, "--token-ids", ",".join(str(int(i)) for i in ids), "--maps", maps_path,
           "--device", device, "--dtype", "f32"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    ours = load_file(maps_path)
    with torch.no_grad():
        out = model(input_ids=ids[None].to(hf_device), output_attentions=True, use_cache=False)
    out.logits, out.attentions = out.logits.cpu(), [a.cpu() for a in out.attentions]
    errors = {"logits": (ours["logits"] - out.logits[0]).abs().max().item()}
    H = model.config.num_attention_heads
    for i, att in enumerate(out.attentions):
        att = att[0]
        if kind != "diffllama":
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
        hf_ids = model.generate(ids[None, :20].to(hf_device), max_new_tokens=8, do_sample=False)[0, 20:].tolist()
    errors["generate (ids differing)"] = float(sum(a != b for a, b in zip(ours_ids, hf_ids)) + abs(len(ours_ids) - len(hf_ids)))
    worst = max(errors.values())
    print(f"{path} ({kind}) on {device}: {len(errors)} tensors, worst max abs error {worst:.2e} "
          f"({max(errors, key=errors.get)}); generated {ours_ids} vs HF {hf_ids} -> {'OK' if worst <= bound else 'FAIL'}")
    return worst <= bound


def peak_rss_mib(cmd):
    """Peak RSS of `cmd` in MiB, measured in a fresh Python child so RUSAGE_CHILDREN covers that command alone."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024


def big_config(kind):
    """Llama 3.2 1B's shape (1.24 B parameters) as a Llama or a DiffLlama config."""
    kw = dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
              num_attention_heads=32, num_key_value_heads=8, head_dim=64, tie_word_embeddings=True,
              max_position_embeddings=131072, rms_norm_eps=1e-5,
              rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=32.0, low_freq_factor=1.0,
                                   high_freq_factor=4.0, original_max_position_embeddings=8192))
    cls, cfg = (LlamaForCausalLM, LlamaConfig) if kind == "llama" else (DiffLlamaForCausalLM, DiffLlamaConfig)
    return cls, cfg(attn_implementation="eager", **kw)


def make_big(kind, device, path):
    """Writes the 1B-shaped random `kind` to `path`: bf16, sharded with model.safetensors.index.json (seed 5)."""
    torch.manual_seed(5)
    cls, config = big_config(kind)
    with torch.device("cuda" if device == "cuda" else "cpu"):
        model = cls(config).to(torch.bfloat16)
    model.save_pretrained(path, max_shard_size="600MB")
    del model
    if device == "cuda":
        torch.cuda.empty_cache()


def check_big(cli, device, out):
    """1B-shaped random Llama and DiffLlama in bf16, sharded: load, memory, and agreement with HF in float32."""
    ok = True
    for kind in ("llama", "diffllama"):
        path = os.path.join(out, kind)
        make_big(kind, device, path)
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path) if f.endswith(".safetensors"))
        shards = len([f for f in os.listdir(path) if f.endswith(".safetensors")])
        for dtype in ("bf16", "f32"):
            rss = peak_rss_mib([cli, "run", "--model", path, "--token-ids", "1,2,3", "--device", device,
                                "--dtype", dtype])
            print(f"{kind} 1B-shaped: {size / 2**20:.0f} MiB in {shards} shards; CLI on {device} --dtype {dtype}: "
                  f"peak host RSS {rss:.0f} MiB = {rss * 2**20 / size:.2f}x the checkpoint", flush=True)
        model = load_hf(kind, path, "cuda" if device == "cuda" else "cpu")
        # Summation order over 2048-wide rows and 16 layers: float32 agreement to ~1e-4 relative, logits ~1e-3.
        ok = check(cli, device, kind, out, path, model, bound=2e-3) and ok
        del model
        torch.cuda.empty_cache()
    return ok


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
    p.add_argument("--big", help="folder for the 1B-shaped checkpoints (about 5 GB)")
    p.add_argument("--make-big-models", help="only write the 1B-shaped checkpoints (llama, diffllama) to this folder "
                   "(made on --device; for the app's benchmark: scripts/gpu-app-check.sh)")
    p.add_argument("--kinds", default="llama,llama3,diffllama," + ",".join(FAMILIES),
                   help="the random models to check (comma-separated)")
    a = p.parse_args()
    if a.make_big_models:
        for kind in ("diffllama", "llama"):
            make_big(kind, a.device, os.path.join(a.make_big_models, kind))
            print("wrote", os.path.join(a.make_big_models, kind), flush=True)
        return 0
    if a.big:
        return 0 if check_big(a.cli, a.device, a.big) else 1
    if a.models:
        kinds = [json.load(open(os.path.join(m, "config.json")))["model_type"] for m in a.models]
        with tempfile.TemporaryDirectory() as work:
            ok = all([check(a.cli, a.device, k, work, m) for k, m in zip(kinds, a.models)])
        return 0 if ok else 1
    if a.make_bench_models:
        make_bench_models(a.make_bench_models)
        return 0
    with tempfile.TemporaryDirectory() as work:
        ok = all([check_reporting(a.cli, a.device, kind, work) for kind in a.kinds.split(",")])
    return 0 if ok else 1


def check_reporting(cli, device, kind, work):
    """check(), with an exception (a config keyword HF no longer takes, a CLI refusal) reported as that kind's FAIL
    so the other kinds still run."""
    try:
        return check(cli, device, kind, work)
    except Exception as e:  # noqa: BLE001 - any failure of one kind is printed and counted, never fatal
        detail = getattr(e, "stderr", None)
        print(f"{kind} on {device}: FAIL ({type(e).__name__}: {e}{' / ' + detail.strip() if detail else ''})")
        return False


if __name__ == "__main__":
    sys.exit(main())
