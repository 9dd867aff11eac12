#!/usr/bin/env python3
"""Writes tests/fuzz/reproducers/<harness>/: the hostile inputs of issue 12 that crashed, hung or exhausted memory
before their fixes, one file each, so every build replays them through the fuzz harnesses (regression_main.cpp).
Run from anywhere: python3 tests/fuzz/make_reproducers.py"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")


def write(harness, name, data):
    path = os.path.join(HERE, "reproducers", harness, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


LLAMA = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300}


def config(**changes):
    c = dict(LLAMA)
    c.update(changes)
    return json.dumps(c)


deep = "[" * 100000 + "]" * 100000
write("model_config", "number_1e999.json", config().replace('"vocab_size": 300', '"vocab_size": 300, "rms_norm_eps": 1e999'))
write("model_config", "heads_2_32.json", config(num_attention_heads=2 ** 32))
write("model_config", "kv_heads_2_32.json", config(num_key_value_heads=2 ** 32))
write("model_config", "heads_int_min.json", config(num_attention_heads=-2 ** 31, num_key_value_heads=-1))
write("model_config", "layers_2_32.json", config(num_hidden_layers=2 ** 32))
write("model_config", "head_dim_0.json", config(head_dim=0))
write("model_config", "vocab_2_40.json", config(vocab_size=2 ** 40))
write("model_config", "llama3_original_1e300.json", config(rope_scaling={
    "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
    "original_max_position_embeddings": 1e300}))
write("model_config", "nested_deep.json", config()[:-1] + ', "unused": ' + deep + "}")
write("generation_config", "eos_nested_deep.json", '{"eos_token_id": ' + deep + "}")
write("generation_config", "eos_1e999.json", '{"eos_token_id": 1e999}')


def safetensors(header, buffer=b""):
    text = header.encode()
    return struct.pack("<Q", len(text)) + text + buffer


write("safetensors", "shape_overflow.safetensors",
      safetensors('{"x":{"dtype":"F32","shape":[4611686018427387904,4,0],"data_offsets":[0,0]}}'))
write("safetensors", "shape_nested_deep.safetensors",
      safetensors('{"x":{"dtype":"F32","shape":' + deep + ',"data_offsets":[0,0]}}'))
write("safetensors", "duplicate_name.safetensors",
      safetensors('{"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'))

gpt2 = json.load(open(os.path.join(FIXTURES, "tokenizers", "gpt2", "tokenizer.json")))
backslash_c = dict(gpt2)
backslash_c["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": "\\C"}, "behavior": "Isolated", "invert": False}
write("tokenizer_json", "split_backslash_c.json", json.dumps(backslash_c))
# 3,000 levels of Sequence took 5.8 s and 1.45 GB before the nesting cap; written as text (json.dumps recurses).
sequence = '{"type": "Sequence", "normalizers": [' * 3000 + "]}" * 3000
nested_text = json.dumps(gpt2).replace('"normalizer": null', '"normalizer": ' + sequence, 1)
write("tokenizer_json", "normalizer_sequence_3000_deep.json", nested_text)
llama2 = json.load(open(os.path.join(FIXTURES, "tokenizers", "llama2", "tokenizer.json")))
affix = dict(llama2)
affix["model"] = dict(llama2["model"])
affix["model"]["continuing_subword_prefix"] = "##"
affix["model"]["end_of_word_suffix"] = "</w>"
affix["model"]["merges"] = []
write("tokenizer_json", "byte_fallback_with_affixes.json", json.dumps(affix))

write("tokenizer_encode", "nul_and_controls.txt", b"a\x00b\x01\x02\t\r\n\x7f c")
write("tokenizer_encode", "invalid_utf8.txt", b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc")
write("tokenizer_encode", "special_looking.txt", "<s></s><unk><|begin_of_text|><|endoftext|> <s >".encode())
write("tokenizer_encode", "mixed_scripts.txt", "e\u0301 \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd "
      "\u0928\u092e\u0938\u094d\u0924\u0947 \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 \U0001F468\u200D\U0001F469 "
      "\U0001F1EB\U0001F1F7 \u2028 x\r\ny".encode())


# settings.json: nesting that overflows the stack where a parser or destructor recurses per level, and values of the
# wrong types and out of range.
write("settings", "deep_nesting.json", '{"display":' + "[" * 100000 + "]" * 100000 + "}")
write("settings", "wrong_types.json", '{"layer": "three", "head": 1e999, "figure_scale": -2147483649, '
      '"display": {"gamma": "x", "scale": 5}, "prompt": [1, 2]}')
# Found by the settings harness (session 4): a number far outside int's range where an int is read (undefined
# behaviour in the conversion before the fix).
write("settings", "head_8e40.json", '{"modelayer": 0, "head":88888888888888888888888884888888888888888}\n')
write("settings", "floats_out_of_range.json", '{"figure_scale": 1e300, "stats_height": -1e39, '
      '"display": {"gamma": 1e39, "log_floor": -1e300}, "layer": 18446744073709551615}')
# Session files (ui/session.h): the hostile kinds of settings.json as sessions (with the format version, so the strict
# reader meets them), a version and a span offset past 64 bits, a view with numbers out of range.
write("session", "deep_nesting.json", '{"diffscope_session": 1, "display":' + "[" * 100000 + "]" * 100000 + "}")
write("session", "head_8e40.json", '{"diffscope_session": 1, "head":88888888888888888888888884888888888888888}\n')
write("session", "floats_out_of_range.json", '{"diffscope_session": 1, "figure_scale": 1e300, "display": '
      '{"gamma": 1e39, "log_floor": -1e300}, "layer": 18446744073709551615}')
write("session", "version_past_64_bits.json", '{"diffscope_session": 18446744073709551616}')
write("session", "span_past_64_bits.json", '{"diffscope_session": 1, "prompt": "abc", '
      '"span": [0, 18446744073709551615]}')
write("session", "view_out_of_range.json", '{"diffscope_session": 1, "view": {"zoom": 1e308, "center_x": -1e308, '
      '"center_y": 1e-320, "tokens": -9223372036854775808}}')
print("wrote", os.path.join(HERE, "reproducers"))
