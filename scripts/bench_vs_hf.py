#!/usr/bin/env python3
"""The engine at scale against HF transformers, in one call on the GPU machine (docs/benchmarks.md).

    python3 scripts/bench_vs_hf.py --cli build-gpu/app/diffscope-cli --out $OUT/bench_vs_hf.md [--tokens 1024,2048]

Makes 1B-shaped random checkpoints (16 layers, hidden 2048, 32 heads, 8 KV heads, head_dim 64, intermediate 5632,
vocabulary 32000, tied embeddings: 0.79 B parameters; bf16) as a DiffLlama and a Llama, then at each length times,
median of --runs after a warm-up, with peak GPU memory beyond the weights:
  - HF transformers eager attention with output_attentions=True (how today's viewers get maps),
  - HF transformers' plain SDPA forward (no maps),
  - the engine through `diffscope-cli bench` (forward only; statistics of every head + overviews of every map; that
    plus one head's whole map streamed at full resolution; a 1024 x 1024 window fetched after the run).
Writes a markdown table with the card and the date, and the targets of the engine issue as ratios.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from transformers import DiffLlamaConfig, DiffLlamaForCausalLM, LlamaConfig, LlamaForCausalLM

SHAPE = dict(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=16, num_attention_heads=32,
             num_key_value_heads=8, head_dim=64, tie_word_embeddings=True, max_position_embeddings=32768,
             rms_norm_eps=1e-5, rope_theta=500000.0)


def make_models(root):
    paths = {}
    for kind in ("diffllama", "llama"):
        path = os.path.join(root, kind)
        paths[kind] = path
        if os.path.exists(os.path.join(path, "config.json")):
            continue
        torch.manual_seed(3)
        cls, cfg = (LlamaForCausalLM, LlamaConfig) if kind == "llama" else (DiffLlamaForCausalLM, DiffLlamaConfig)
        with torch.device("cuda"):
            model = cls(cfg(**SHAPE)).to(torch.bfloat16)
        model.save_pretrained(path)
        del model
        torch.cuda.empty_cache()
    return paths


def time_hf(model, ids, runs, **kw):
    """Median ms and peak GPU MiB beyond what was allocated before (the weights), or an error string."""
    try:
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        with torch.no_grad():
            out = model(input_ids=ids, use_cache=False, **kw)  # warm-up
            del out
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                out = model(input_ids=ids, use_cache=False, **kw)
                torch.cuda.synchronize()
                times.append((time.perf_counter() - start) * 1e3)
                del out
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
        return statistics.median(times), peak
    except torch.OutOfMemoryError:
        return "out of memory", None
    finally:
        torch.cuda.empty_cache()


def run_engine(cli, path, n, runs, timeout, profile=False, env=None):
    cmd = [cli, "bench", "--model", path, "--tokens", str(n), "--device", "cuda", "--dtype", "bf16",
           "--runs", str(runs)] + (["--profile"] if profile else [])
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout} s"}
    rows = {}
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            row = json.loads(line[6:])
            if row["mode"] in ("profile", "host profile", "key profile"):
                rows.setdefault(row["mode"], {})[row["stage"]] = row["ms"]
            else:
                rows[row["mode"]] = row
    if p.returncode != 0 or not rows:
        return {"error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:200]}
    sys.stdout.write(p.stdout)
    return rows


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.1f}{unit}" if v < 100 else f"{v:.0f}{unit}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="/tmp/bench-1b")
    ap.add_argument("--tokens", default="1024,2048,4096,8192,16384,32768")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--engine-timeout", type=int, default=240)
    ap.add_argument("--kinds", default="diffllama,llama")
    ap.add_argument("--profile", action="store_true", help="add the engine's per-stage times of a statistics run")
    ap.add_argument("--baseline-env", default="",
                    help="VAR=VALUE[,VAR=VALUE]: also time the engine with these set (a same-call baseline)")
    ap.add_argument("--baseline-cli", default="",
                    help="also time this diffscope-cli (an earlier commit's build: a same-call baseline)")
    ap.add_argument("--baseline-label", default="",
                    help="what the baseline is, for the table's title (default: the environment or the CLI's path)")
    a = ap.parse_args()
    lengths = [int(t) for t in a.tokens.split(",")]
    paths = make_models(a.models)
    card = torch.cuda.get_device_name(0)
    lines = [f"# Engine vs HF transformers {__import__('transformers').__version__}, {card}, "
             f"{datetime.date.today().isoformat()}, torch {torch.__version__}, bf16, median of {a.runs} after a "
             f"warm-up; memory = peak GPU memory beyond the weights", ""]
    for kind in a.kinds.split(","):
        cls = DiffLlamaForCausalLM if kind == "diffllama" else LlamaForCausalLM
        lines += [f"## {kind} (1B-shaped, {SHAPE['num_hidden_layers']} layers, {SHAPE['num_attention_heads']} heads)",
                  "",
                  "| tokens | HF eager + maps | HF SDPA | engine forward | engine stats + overviews | + one full head "
                  "| 1024² window | stats / HF SDPA | HF eager / stats | engine result on host "
                  "| 1 key (reuse) | 1 key / HF SDPA |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        results = {}
        profiles = {}
        key_profiles = {}
        host_profiles = {}
        baseline_rows = []
        for attn in ("eager", "sdpa"):
            model = cls.from_pretrained(paths[kind], dtype=torch.bfloat16, attn_implementation=attn).cuda().eval()
            for n in lengths:
                ids = torch.randint(0, SHAPE["vocab_size"], (1, n), generator=torch.Generator().manual_seed(n)).cuda()
                if attn == "eager" and n > 16384:
                    results[(attn, n)] = ("not tried (out of memory at 16K)", None)
                    continue
                kw = {"output_attentions": True} if attn == "eager" else {}
                results[(attn, n)] = time_hf(model, ids, a.runs, **kw)
                print(kind, attn, n, results[(attn, n)], flush=True)
            del model
            torch.cuda.empty_cache()
        for n in lengths:
            e = run_engine(a.cli, paths[kind], n, a.runs, a.engine_timeout, a.profile)
            if "profile" in e:
                profiles[n] = e["profile"]
            if "host profile" in e:
                host_profiles[n] = e["host profile"]
            if "key profile" in e:
                key_profiles[n] = e["key profile"]
            if a.baseline_env or a.baseline_cli:
                env = dict(kv.split("=", 1) for kv in a.baseline_env.split(",")) if a.baseline_env else {}
                b = run_engine(a.baseline_cli or a.cli, paths[kind], n, a.runs, a.engine_timeout, False, env)
                if "error" not in b and "error" not in e:
                    base, new = b["stats+overviews"]["ms"], e["stats+overviews"]["ms"]
                    # A keystroke reusing the cache, and a full run at a length not run before (a paste).
                    other = [fmt(r.get(mode, {}).get("ms"), " ms") for r in (b, e)
                             for mode in ("stats, 1 key (reuse)", "stats, new length")]
                    baseline_rows.append(f"| {n} | {fmt(b['forward only']['ms'], ' ms')} | {fmt(base, ' ms')} | "
                                         f"{other[0]} | {other[1]} | {fmt(e['forward only']['ms'], ' ms')} | "
                                         f"{fmt(new, ' ms')} | {other[2]} | {other[3]} | {base / new:.2f}x |")
            eager_ms, eager_mem = results[("eager", n)]
            sdpa_ms, sdpa_mem = results[("sdpa", n)]
            if "error" in e:
                lines.append(f"| {n} | {fmt(eager_ms, ' ms')} / {fmt(eager_mem, ' MiB')} | {fmt(sdpa_ms, ' ms')} | "
                             f"engine failed: {e['error']} | | | | | | |")
                continue
            fwd, st, full, win = e["forward only"], e["stats+overviews"], e["+ one full head"], e["window"]
            ratio = f"{st['ms'] / sdpa_ms:.2f}x" if isinstance(sdpa_ms, float) else "-"
            speedup = f"{eager_ms / st['ms']:.1f}x, mem {eager_mem / max(st['peak_device_mib'], 1):.1f}x" \
                if isinstance(eager_ms, float) else "-"
            # A keystroke at the end of the prompt, reusing the previous run's rows (docs/incremental-runs.md).
            key = e.get("stats, 1 key (reuse)", {}).get("ms")
            key_ratio = f"{key / sdpa_ms:.2f}x" if isinstance(key, float) and isinstance(sdpa_ms, float) else "-"
            lines.append(
                f"| {n} | {fmt(eager_ms, ' ms')} / {fmt(eager_mem, ' MiB')} | {fmt(sdpa_ms, ' ms')} / "
                f"{fmt(sdpa_mem, ' MiB')} | {fmt(fwd['ms'], ' ms')} / {fmt(fwd['peak_device_mib'], ' MiB')} | "
                f"{fmt(st['ms'], ' ms')} / {fmt(st['peak_device_mib'], ' MiB')} | {fmt(full['ms'], ' ms')} | "
                f"{fmt(win['ms'], ' ms')} | {ratio} | {speedup} | {fmt(st['host_mib'], ' MiB')} | "
                f"{fmt(key, ' ms')} | {key_ratio} |")
        lines.append("")
        if baseline_rows:
            label = a.baseline_label or " ".join(x for x in (a.baseline_cli, a.baseline_env) if x)
            lines += [f"Same call, the engine as {label} (baseline) and this tree:", "",
                      "| tokens | baseline forward | baseline stats | baseline 1 key | baseline new length | forward "
                      "| stats | 1 key | new length | stats speed-up |",
                      "|---|---|---|---|---|---|---|---|---|---|"] + baseline_rows + [""]
        for title, table in ((f"Per-stage ms of one statistics run ({kind}, `bench --profile`: stages wait for the "
                              "GPU):", profiles),
                             (f"Host time to queue each stage of one statistics run ({kind}, `bench --profile`, no "
                              "waits; results to the host = the wait for the GPU at the end):", host_profiles),
                             (f"Per-stage ms of one keystroke's run reusing the previous run ({kind}, `bench "
                              "--profile`: stages wait for the GPU):", key_profiles)):
            if not table:
                continue
            stages = sorted({stage for p in table.values() for stage in p})
            lines += [title, "", "| stage | " + " | ".join(str(n) for n in table) + " |", "|---|" + "---|" * len(table)]
            for stage in stages:
                lines.append(f"| {stage} | " + " | ".join(fmt(table[n].get(stage)) for n in table) + " |")
            lines.append("")
    text = "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
