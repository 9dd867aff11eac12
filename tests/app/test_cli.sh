#!/usr/bin/env bash
# End-to-end checks of diffscope-cli: good runs write their files, bad input gets a one-line error and a non-zero exit.
# Usage: test_cli.sh path/to/diffscope-cli path/to/tests/fixtures path/to/source
set -u
cli=$1
fixtures=$2
source_dir=$3
diff_model=$fixtures/hf/diffllama_gqa_tied
std_model=$fixtures/hf/llama_gqa_tied
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect EXIT_CODE "message substring" -- command...
expect() {
  local want_rc=$1 want_text=$2
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -qF -- "$want_text" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $* -> exit $rc (want $want_rc), output lacks \"$want_text\":"
    echo "$out" | head -5
  fi
}

expect 0 "layer" -- "$cli" run --model "$diff_model" --prompt "The cat sat." --span 4:7
# --help after a command prints the usage and succeeds, as it does alone; as a flag's value it stays that value.
for command in run bench generate eval-retrieval; do
  expect 0 "diffscope-cli $command" -- "$cli" "$command" --help
done
expect 0 "diffscope-cli run" -- "$cli" --help
expect 0 "layer" -- "$cli" run --model "$diff_model" --prompt --help
# scan and eval-interventions take --help where an option stands, and as a value keep it as that value.
expect 0 "usage: diffscope-cli scan" -- "$cli" scan --help
expect 0 "usage: diffscope-cli scan" -- "$cli" scan --model "$diff_model" --help
expect 0 "scanned 16 heads" -- "$cli" scan --model "$diff_model" --prompt --help --target-text " x" \
  --out "$work/help.csv"
expect 0 "usage: diffscope-cli eval-interventions" -- "$cli" eval-interventions --limit 3 --help
expect 2 "--out \"--help\"" -- "$cli" scan --model "$diff_model" --prompt abc --target-text " x" --out --help
expect 0 "wrote 3 heatmaps" -- "$cli" run --model "$diff_model" --prompt "abc" --png "$work/png" --layer 1 --head 2
[ -s "$work/png/layer1_head2_diff.png" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no PNG"; }
expect 0 "wrote $work/maps.b.safetensors" -- "$cli" run --model "$diff_model" --model-b "$std_model" \
  --token-ids 1,2,3 --maps "$work/maps.safetensors" --stats "$work/stats.json"
printf 'hello from a file' >"$work/prompt.txt"
expect 0 "17 tokens" -- "$cli" run --model "$std_model" --prompt-file "$work/prompt.txt"
# Interventions: the stats JSON says the run was changed; a bad spec or target says what is wrong.
expect 0 "wrote $work/iv.json" -- "$cli" run --model "$diff_model" --prompt "abc" --intervene "L1.H*:lambda=0" \
  --intervene "L0.H2:ablate=mean" --stats "$work/iv.json"
expect 0 '"L0.H2:ablate=mean"' -- cat "$work/iv.json"
expect 0 "KL(clean || changed)" -- "$cli" run --model "$diff_model" --prompt "abc" --intervene "L3.H*:only=A2" \
  --target-id 7
expect 0 "target 7: log p" -- "$cli" run --model "$diff_model" --prompt "abc" --intervene "L3.H*:only=A2" \
  --target-id 7
expect 0 'target " 47" (3 tokens): log p' -- "$cli" run --model "$diff_model" --prompt "abc" --intervene "L3.H*:only=A2" \
  --target-text " 47"
expect 2 "give one of --target-id, --target-text, --target-span or --target-tokens, not several" -- "$cli" run \
  --model "$diff_model" --prompt "abc" --intervene "L3.H*:only=A2" --target-id 7 --target-text " 47"
# A target inside the prompt (issue 14): the tokens of a text's first occurrence, or a token range.
expect 0 'target span " 47" (tokens 13:16, 3 tokens): log p' -- "$cli" run --model "$diff_model" \
  --prompt "The number is 47. It is 47" --intervene "L3.H*:only=A2" --target-span " 47"
expect 0 'target span " 47" (tokens 23:26, 3 tokens): log p' -- "$cli" run --model "$diff_model" \
  --prompt "The number is 47. It is 47" --intervene "L3.H*:only=A2" --target-tokens 23:26
expect 1 '--target-span: "99" is not in the prompt' -- "$cli" run --model "$diff_model" --prompt "abc" \
  --intervene "L3.H*:only=A2" --target-span "99"
expect 1 "--target-span: \"ab\" starts at the prompt's first token" -- "$cli" run --model "$diff_model" \
  --prompt "abc" --intervene "L3.H*:only=A2" --target-span "ab"
expect 1 "--target-tokens: target tokens 2:9 reach past the prompt's 3 tokens" -- "$cli" run --model "$diff_model" \
  --prompt "abc" --intervene "L3.H*:only=A2" --target-tokens 2:9
expect 2 "give one of --target-id, --target-text, --target-span or --target-tokens" -- "$cli" run \
  --model "$diff_model" --prompt "abc" --intervene "L3.H*:only=A2" --target-span b --target-tokens 1:2
expect 2 "--target-tokens \"3\": write token indices as A:B" -- "$cli" run --model "$diff_model" --prompt "abc" \
  --intervene "L3.H*:only=A2" --target-tokens 3
expect 2 "--target-span reports the target before and after --intervene" -- "$cli" run --model "$diff_model" \
  --prompt "abc" --target-span b
expect 0 'target " 47" (3 tokens, tokens 13:16 of the prompt)' -- "$cli" scan --model "$diff_model" \
  --prompt "The number is 47. It is 47" --target-span " 47" --out "$work/span.json"
expect 0 '"target_begin": 13' -- cat "$work/span.json"
expect 1 "--target-tokens: target tokens 0:2 start at token 0" -- "$cli" scan --model "$std_model" \
  --token-ids 1,2,3 --target-tokens 0:2 --out "$work/x.csv"
expect 2 "--target-span finds text in the prompt" -- "$cli" scan --model "$std_model" --token-ids 1,2,3 \
  --target-span x --out "$work/x.csv"
expect 1 "--target-text: the target text is empty" -- "$cli" run --model "$diff_model" --prompt "abc" \
  --intervene "L3.H*:only=A2" --target-text ""
# The head-effect scan: the ranked table, the heatmap, and errors naming the flag.
expect 0 "scanned 16 heads" -- "$cli" scan --model "$diff_model" --prompt "The number is" --target-text " 4721" \
  --out "$work/scan.csv" --png "$work/scan.png"
[ "$(wc -l <"$work/scan.csv")" -eq 17 ] && [ -s "$work/scan.png" ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAIL: scan.csv should have a header and 16 rows, and scan.png should exist"; }
expect 0 "rank,layer,head,what,logprob_clean" -- head -1 "$work/scan.csv"
expect 0 "wrote $work/scan.json" -- "$cli" scan --model "$std_model" --token-ids 1,2,3 --target-id 7 \
  --what ablate=mean --batch 1 --out "$work/scan.json"
expect 0 '"format": "diffscope-head-scan-1"' -- cat "$work/scan.json"
expect 0 '"what": "ablate=mean"' -- cat "$work/scan.json"
expect 2 "--what only=A1: lambda and only= act on Diff heads" -- "$cli" scan --model "$std_model" --prompt "abc" \
  --what only=A1 --out "$work/x.csv"
expect 2 "--what: \"half\" is not a scan intervention" -- "$cli" scan --model "$diff_model" --prompt "abc" --what half \
  --out "$work/x.csv"
expect 2 "--out \"$work/x.txt\": the file name must end in .csv or .json" -- "$cli" scan --model "$diff_model" \
  --prompt "abc" --out "$work/x.txt"
expect 1 "--target-text: the prompt's 100 tokens and the target's 40 need 139 positions" -- "$cli" scan \
  --model "$diff_model" --bench-tokens 100 --target-text "$(head -c 40 /dev/zero | tr '\0' 'a')" --out "$work/x.csv"
expect 1 "--target-id: target token 999 is outside" -- "$cli" scan --model "$diff_model" --prompt "abc" \
  --target-id 999 --out "$work/x.csv"
expect 2 "give exactly one of --prompt" -- "$cli" scan --model "$diff_model" --out "$work/x.csv"
expect 0 "BENCH {" -- "$cli" scan --model "$diff_model" --bench-tokens 32 --runs 2 --out "$work/b.csv"
expect 2 "is not L<layer>.H<head>" -- "$cli" run --model "$diff_model" --prompt "abc" --intervene "L1:lambda=0"
expect 1 "act on Diff heads, and this model is standard" -- "$cli" run --model "$std_model" --prompt "abc" \
  --intervene "L0.H0:only=A1"
long=$(head -c 200 /dev/zero | tr '\0' 'a')
expect 1 "--truncate" -- "$cli" run --model "$std_model" --prompt "$long"
expect 0 "keeping the first 128 of 200 tokens" -- "$cli" run --model "$std_model" --prompt "$long" --truncate

expect 2 "usage" -- "$cli"
expect 2 "unknown option \"--frobnicate\"" -- "$cli" run --model "$std_model" --prompt x --frobnicate
expect 2 "give exactly one of" -- "$cli" run --model "$std_model"
expect 2 "write byte offsets as A:B" -- "$cli" run --model "$std_model" --prompt x --span 3
expect 1 "cannot open" -- "$cli" run --model "$work/nowhere" --prompt x
expect 1 "prompt is empty" -- "$cli" run --model "$std_model" --prompt ""
expect 1 "outside the model's vocabulary of 300" -- "$cli" run --model "$std_model" --token-ids 1,999
expect 1 "overlaps no token" -- "$cli" run --model "$std_model" --prompt "abc" --span 10:12
expect 1 "--layer 7" -- "$cli" run --model "$std_model" --prompt "abc" --png "$work/p2" --layer 7
expect 1 "unknown dtype" -- "$cli" run --model "$std_model" --prompt "abc" --dtype f8
expect 1 "cannot create the folder $work/prompt.txt" -- "$cli" run --model "$std_model" --prompt "abc" --stats "$work/prompt.txt/s.json"
# --maps and --stats create their folders, as --png does (the README's example on a fresh checkout).
expect 0 "wrote $work/new/deeper/s.json" -- "$cli" run --model "$std_model" --prompt "abc" --stats "$work/new/deeper/s.json" \
  --maps "$work/new/m.safetensors"
mkdir -p "$work/bad"
echo '{"model_type": "bert"}' >"$work/bad/config.json"
expect 1 "unknown model_type \"bert\"" -- "$cli" run --model "$work/bad" --prompt x
echo 'not json' >"$work/bad/config.json"
expect 1 "not valid JSON" -- "$cli" run --model "$work/bad" --prompt x
if ! command -v nvidia-smi >/dev/null 2>&1; then
  expect 1 "no CUDA device" -- "$cli" run --model "$std_model" --prompt x --device cuda
fi
expect 0 "forward only" -- "$cli" bench --model "$std_model" --tokens 16 --runs 1
expect 0 "statistics: scan" -- "$cli" bench --model "$diff_model" --tokens 40 --runs 1 --profile
expect 2 "--profile goes with bench" -- "$cli" run --model "$std_model" --token-ids 1 --profile
expect 0 '"ids":[0,466,599,536]' -- "$cli" tokenize --model "$source_dir/assets/models/diff" --text "The magic number"
expect 0 '"ids":[0],' -- "$cli" tokenize --model "$source_dir/assets/models/diff" --text ""  # HF's ids for "": BOS
expect 2 "usage" -- "$cli" tokenize --text x
expect 0 "| diff (diffllama) |" -- "$cli" eval-retrieval --model "$source_dir/assets/models/diff" \
  --model-b "$source_dir/assets/models/standard" --episodes "$source_dir/assets/eval/retrieval.jsonl" \
  --heldout "$source_dir/assets/eval/heldout_text.txt" --limit 2 --out "$work/eval.md"
[ -s "$work/eval.md" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no eval.md"; }
expect 1 "cannot open" -- "$cli" eval-retrieval --episodes "$work/none.jsonl"
# eval-interventions on a tiny case: two one-needle episodes, the fixture pair (Diff: 4 layers x 4 diff heads; standard:
# 2 x 4), 2 draws of 3 random heads; one row per condition.
printf '%s\n' '{"id": 0, "text": "The number is 4721. It is 4721.", "context_bytes": [0, 19], "n_needles": 1, "n_queries": 1, "queries": [{"answer_bytes": [25, 30], "needle_number_bytes": [14, 18]}]}' \
  '{"id": 1, "text": "The number is 9036. It is 9036.", "context_bytes": [0, 19], "n_needles": 1, "n_queries": 1, "queries": [{"answer_bytes": [25, 30], "needle_number_bytes": [14, 18]}]}' \
  >"$work/two.jsonl"
expect 0 "wrote $work/iv.md" -- "$cli" eval-interventions --model "$diff_model" --model-b "$std_model" \
  --episodes "$work/two.jsonl" --seeds 2 --knockouts 3,8 --out "$work/iv.md"
for row in "| clean | 1 |" "| lambda = 0 at every head (16) | 1 |" "| lambda x 0.50 at every head (16) | 1 |" \
  "| lambda x 2.00 at every head (16) | 1 |" "| 3 of 16 heads zero-ablated at random | 2 |" \
  "| 8 of 16 heads zero-ablated at random | 2 |" "| 3 of 8 heads zero-ablated at random | 2 |" \
  "| 8 of 8 heads zero-ablated (all) | 1 |"; do
  expect 0 "$row" -- cat "$work/iv.md"
done
[ "$(grep -c '^| ' "$work/iv.md")" -eq 10 ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAIL: iv.md should have a header and 9 condition rows"; }
expect 2 "--seeds must be at least 1" -- "$cli" eval-interventions --seeds 0
expect 2 "--knockouts 3,0: each count must be at least 1" -- "$cli" eval-interventions --knockouts 3,0
# Issue 12: a later query whose answer is the text's first token (no BOS) read logits row -1 before.
printf '%s\n' '{"text": "4721 is it. The magic number is 4721.", "context_bytes": [0, 10], "n_needles": 1, "n_queries": 2, "queries": [{"answer_bytes": [33, 37], "needle_number_bytes": [0, 4]}, {"answer_bytes": [0, 4], "needle_number_bytes": [0, 4]}]}' >"$work/first.jsonl"
expect 1 "an answer starts the text" -- "$cli" eval-retrieval --model "$std_model" --model-b "$std_model" \
  --episodes "$work/first.jsonl" --heldout "$source_dir/assets/eval/heldout_text.txt"
expect 1 "an answer starts the text" -- "$cli" eval-interventions --model "$std_model" --model-b none \
  --episodes "$work/first.jsonl"
# The bundled Diff model answers the needle question of the example prompt (without the file's final newline).
needle_prompt=$(cat "$source_dir/assets/prompts/needle_in_a_haystack.txt")
expect 0 "new:  4721." -- "$cli" generate --model "$source_dir/assets/models/diff" --prompt "$needle_prompt" \
  --max-new-tokens 5 --rows "$work/rows.safetensors"
[ -s "$work/rows.safetensors" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no rows file"; }
expect 2 "exclude each other" -- "$cli" generate --model "$std_model" --prompt x --greedy --top-k 3
expect 2 "exclude each other" -- "$cli" generate --model "$std_model" --prompt x --greedy --top-p 0.9
expect 2 "--top-p must be in (0, 1]" -- "$cli" generate --model "$std_model" --prompt x --top-p 1.5
# A checkpoint whose generation_config.json samples: the CLI says it generates greedily, and stops at its EOS id.
mkdir -p "$work/sampling" && cp "$std_model"/* "$work/sampling/"
echo '{"do_sample": true, "temperature": 0.6, "top_p": 0.9, "eos_token_id": 2}' > "$work/sampling/generation_config.json"
expect 0 "generates greedily unless --top-k" -- "$cli" generate --model "$work/sampling" --prompt abc --max-new-tokens 2
expect 2 "give --maps" -- "$cli" run --model "$std_model" --prompt abc --rollout
expect 0 "" -- "$cli" run --model "$std_model" --prompt "abcdef" --rollout --maps "$work/rollout.safetensors"
/usr/bin/python3 - "$work/rollout.safetensors" <<'PY' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no rollout in --maps"; }
import json, struct, sys
data = open(sys.argv[1], "rb").read()
header = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
assert header["layer.0.rollout"]["shape"] == [6, 6], header.get("layer.0.rollout")
PY
# Maps of chosen heads, and windows of them (rows x keys, pooled): the file says which heads and which window.
expect 0 "wrote $work/sel.safetensors" -- "$cli" run --model "$diff_model" --token-ids 1,2,3,4,5,6,7,8,9,10 \
  --maps "$work/sel.safetensors" --layers 1 --heads 0,1
expect 0 "wrote $work/win.safetensors" -- "$cli" run --model "$diff_model" --token-ids 1,2,3,4,5,6,7,8,9,10 \
  --maps "$work/win.safetensors" --layers 0 --heads 1 --rows 2:10 --cols 0:7 --pool 3
/usr/bin/python3 - "$work/sel.safetensors" "$work/win.safetensors" <<'PY' && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: selected heads / window in --maps"; }
import json, struct, sys
def header(path):
    data = open(path, "rb").read()
    return json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
sel, win = header(sys.argv[1]), header(sys.argv[2])
assert sel["layer.1.diff"]["shape"] == [2, 10, 10], sel["layer.1.diff"]
assert "layer.0.diff" not in sel and sel["__metadata__"]["layer.1.heads"] == "0,1", sel["__metadata__"]
assert win["layer.0.attn1"]["shape"] == [1, 3, 3], win["layer.0.attn1"]
assert win["__metadata__"]["window"] == "rows 2:10 keys 0:7 pool 3", win["__metadata__"]
PY
expect 1 "reach past the prompt's 3 tokens" -- "$cli" run --model "$std_model" --token-ids 1,2,3 --png "$work/w" --rows 0:4
expect 2 "shape the maps of --maps or --png" -- "$cli" run --model "$std_model" --token-ids 1,2,3 --rows 0:2
expect 2 "write token indices as A:B" -- "$cli" run --model "$std_model" --token-ids 1,2,3 --png "$work/w" --cols 2
expect 2 "--layer 4294967296: out of range" -- "$cli" run --model "$std_model" --token-ids 1 --png "$work/w" --layer 4294967296
expect 2 "--tokens 4294967297: out of range" -- "$cli" bench --model "$std_model" --tokens 4294967297
expect 2 "--max-new-tokens 4294967297: out of range" -- "$cli" generate --model "$std_model" --prompt x --max-new-tokens 4294967297
expect 2 "--limit 99999999999: out of range" -- "$cli" eval-retrieval --limit 99999999999
expect 2 "use fused or explicit" -- "$cli" run --model "$std_model" --token-ids 1,2,3 --attention flash
expect 1 "--heads 9: diffllama_gqa_tied has heads 0..3" -- "$cli" run --model "$diff_model" --token-ids 1,2 --png "$work/w" --heads 9
expect 2 "exclude each other" -- "$cli" generate --model "$std_model" --prompt x --stop-id 3 --no-stop
expect 0 '"stopped_by":"max-new-tokens"' -- "$cli" generate --model "$std_model" --prompt x --max-new-tokens 3 --no-stop
expect 2 "at least 1" -- "$cli" generate --model "$std_model" --prompt x --max-new-tokens 0
expect 2 "--temperature: \"warm\" is not a number" -- "$cli" generate --model "$std_model" --prompt x --top-k 3 --temperature warm
expect 1 "prompt is empty" -- "$cli" generate --model "$std_model" --prompt ""
expect 2 "--limit: \"some\" is not a whole number" -- "$cli" eval-retrieval --limit some

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
