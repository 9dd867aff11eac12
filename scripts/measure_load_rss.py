#!/usr/bin/python3
"""Measures peak RSS while diffscope-cli loads (and runs one token through) a ~2 GB bf16 checkpoint.

Writes a random Llama-shaped checkpoint (953 M parameters, bf16, written with the standard library only), then runs
`diffscope-cli run --token-ids 1` under /usr/bin/time -v with --dtype bf16 (weights stay bf16 and alias the file
mapping) and --dtype f32 (weights converted), and prints peak RSS over the checkpoint size.
    /usr/bin/python3 scripts/measure_load_rss.py build/app/diffscope-cli /tmp/big-llama
"""
import json
import os
import re
import struct
import subprocess
import sys

HIDDEN, LAYERS, HEADS, INTER, VOCAB = 2048, 16, 16, 5632, 32000


def shapes():
    yield "model.embed_tokens.weight", [VOCAB, HIDDEN]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", [HIDDEN]
        yield p + "post_attention_layernorm.weight", [HIDDEN]
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            yield p + f"self_attn.{name}.weight", [HIDDEN, HIDDEN]
        yield p + "mlp.gate_proj.weight", [INTER, HIDDEN]
        yield p + "mlp.up_proj.weight", [INTER, HIDDEN]
        yield p + "mlp.down_proj.weight", [HIDDEN, INTER]
    yield "model.norm.weight", [HIDDEN]
    yield "lm_head.weight", [VOCAB, HIDDEN]


def write_checkpoint(folder):
    os.makedirs(folder, exist_ok=True)
    config = dict(model_type="llama", hidden_size=HIDDEN, intermediate_size=INTER, num_hidden_layers=LAYERS,
                  num_attention_heads=HEADS, num_key_value_heads=HEADS, vocab_size=VOCAB,
                  max_position_embeddings=2048, rms_norm_eps=1e-5, tie_word_embeddings=False)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    header, offset = {}, 0
    items = list(shapes())
    for name, shape in items:
        n = 2
        for d in shape:
            n *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(os.path.join(folder, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        chunk = bytearray(64 << 20)
        chunk[1::2] = b"\x3c" * (len(chunk) // 2)  # bf16 values of magnitude ~0.01: no NaN or Inf
        left = offset
        while left > 0:
            chunk[0::2] = os.urandom(len(chunk) // 2)
            f.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return offset


def peak_rss_kb(cmd):
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr[-2000:])
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))


def main():
    cli, folder = sys.argv[1], sys.argv[2]
    path = os.path.join(folder, "model.safetensors")
    size = os.path.getsize(path) if os.path.exists(path) else write_checkpoint(folder)
    print(f"checkpoint: {size / 1e9:.2f} GB bf16")
    for dtype in ("bf16", "f32"):
        rss = peak_rss_kb([cli, "run", "--model", folder, "--token-ids", "1", "--device", "cpu", "--dtype", dtype]) * 1024
        print(f"--dtype {dtype}: peak RSS {rss / 1e9:.2f} GB = {rss / size:.2f} x the checkpoint")


if __name__ == "__main__":
    main()
