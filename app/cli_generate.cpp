// `diffscope-cli generate`: greedy or sampled (top-k / top-p) generation with a KV cache, printed as text and JSON ids; --rows writes
// every fed-back token's attention rows to safetensors. Main thread.
#include "cli_generate.h"

#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli_files.h"
#include "cli_options.h"
#include "errors.h"
#include "generation_config.h"
#include "model.h"
#include "safetensors.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {

const char* kUsage =
    "usage: diffscope-cli generate --model DIR (--prompt TEXT | --prompt-file F | --token-ids 1,2,3)\n"
    "                              [--max-new-tokens N] [--greedy | [--top-k K] [--top-p P] --temperature T --seed S]\n"
    "                              [--stop-id ID ... | --no-stop] [--rows OUT.safetensors] [--device auto|cpu|cuda]\n"
    "                              [--dtype f32|bf16|f16]\n"
    "  Generation stops after an EOS id of the model (generation_config.json, else config.json), as HF generate\n"
    "  does; --stop-id (repeatable) replaces those ids, --no-stop never stops early.\n";

struct GenerateOptions {
  std::string model, device = "auto", dtype = "f32";
  bool greedy_asked = false;  // --greedy given: no note about the checkpoint's own sampling
  std::optional<std::string> prompt, prompt_file, rows_path;
  std::vector<int64_t> token_ids;
  GenerationOptions generation;
};

GenerateOptions parse(const std::vector<std::string>& args) {
  GenerateOptions o;
  bool greedy = false, no_stop = false;
  std::vector<int64_t> stop_ids;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> std::string { return flag_value(args, i); };
    if (flag == "--model") o.model = value();
    else if (flag == "--prompt") o.prompt = value();
    else if (flag == "--prompt-file") o.prompt_file = value();
    else if (flag == "--token-ids") o.token_ids = parse_token_ids(value());
    else if (flag == "--max-new-tokens") o.generation.max_new_tokens = parse_int(flag, value());
    else if (flag == "--greedy") greedy = true;
    else if (flag == "--top-k") o.generation.top_k = parse_int(flag, value());
    else if (flag == "--top-p") o.generation.top_p = parse_real(flag, value());
    else if (flag == "--temperature") o.generation.temperature = parse_real(flag, value());
    else if (flag == "--seed") o.generation.seed = static_cast<uint64_t>(parse_integer(flag, value()));
    else if (flag == "--stop-id") stop_ids.push_back(parse_integer(flag, value()));
    else if (flag == "--no-stop") no_stop = true;
    else if (flag == "--rows") o.rows_path = value();
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else throw UsageError("unknown option \"" + flag + "\"");
  }
  if (o.model.empty()) throw UsageError("--model DIR is required");
  const int sources = (o.prompt ? 1 : 0) + (o.prompt_file ? 1 : 0) + (o.token_ids.empty() ? 0 : 1);
  if (sources != 1) throw UsageError("give exactly one of --prompt, --prompt-file or --token-ids");
  const bool sampling = o.generation.top_k > 0 || o.generation.top_p < 1.0;
  if (greedy && sampling) throw UsageError("--greedy and --top-k / --top-p exclude each other");
  if (!(o.generation.top_p > 0 && o.generation.top_p <= 1.0)) throw UsageError("--top-p must be in (0, 1]");
  o.greedy_asked = greedy;
  if (o.generation.max_new_tokens < 1) throw UsageError("--max-new-tokens must be at least 1");
  if (no_stop && !stop_ids.empty()) throw UsageError("--stop-id and --no-stop exclude each other");
  if (no_stop || !stop_ids.empty()) o.generation.stop_ids = stop_ids;
  return o;
}

// step.{s}.layer.{i}.{attn|attn1|attn2|diff} [heads, S] and step.{s}.layer.{i}.lambda [heads, 1], float32.
void write_rows(const std::string& path, const Generation& gen) {
  std::vector<std::vector<float>> buffers;
  std::vector<TensorToWrite> tensors;
  size_t count = 0;
  for (const GenerationStep& step : gen.steps) count += step.rows.size() * 5;
  buffers.reserve(count);
  for (size_t s = 0; s < gen.steps.size(); ++s) {
    for (size_t l = 0; l < gen.steps[s].rows.size(); ++l) {
      const LayerCapture& rows = gen.steps[s].rows[l];
      const std::string prefix = "step." + std::to_string(s) + ".layer." + std::to_string(l) + ".";
      for (MapKind kind : {MapKind::Standard, MapKind::A1, MapKind::A2, MapKind::Diff}) {
        const std::vector<Matrix>& heads = rows.maps(kind);
        if (heads.empty() || heads.front().empty()) continue;
        std::vector<float> stacked;
        for (const Matrix& m : heads) stacked.insert(stacked.end(), m.values.begin(), m.values.end());
        buffers.push_back(std::move(stacked));
        tensors.push_back({prefix + map_kind_name(kind), DType::F32,
                           {static_cast<int64_t>(heads.size()), heads.front().cols}, buffers.back().data()});
      }
      if (!rows.lambda.empty()) {
        tensors.push_back({prefix + "lambda", DType::F32, {rows.lambda.rows, rows.lambda.cols}, rows.lambda.values.data()});
      }
    }
  }
  write_safetensors(path, tensors, {{"format", "diffscope-generation-rows-1"}});
}

}  // namespace

int command_generate(const std::vector<std::string>& args) {
  try {
    const GenerateOptions o = parse(args);
    auto model = Model::load(o.model, LoadOptions{o.device, o.dtype, {}});
    const SamplingDefaults sampling = read_sampling_defaults(o.model);
    if (sampling.do_sample && !o.greedy_asked && o.generation.top_k == 0 && o.generation.top_p >= 1.0) {
      std::cerr << "note: " << o.model << "/generation_config.json asks HF generate to sample (temperature "
                << sampling.temperature << ", top_k " << sampling.top_k << ", top_p " << sampling.top_p
                << "); diffscope-cli generates greedily unless --top-k K and/or --top-p P with --temperature T are "
                   "given\n";
    }
    auto tokenizer = tokenizer_for_model(o.model, model->info().vocab_size);
    const std::vector<Token> prompt =
        o.token_ids.empty()
            ? encode_prompt(*tokenizer, o.prompt ? *o.prompt : read_text_file(*o.prompt_file, "prompt file"))
            : tokens_from_ids(o.token_ids);
    CaptureRequest request;
    request.maps = o.rows_path ? CaptureRequest::Maps::All : CaptureRequest::Maps::None;
    request.logits = false;
    const Generation gen = model->generate(prompt, o.generation, request);
    nlohmann::json ids = nlohmann::json::array(), texts = nlohmann::json::array();
    std::string continuation;
    for (const GenerationStep& step : gen.steps) {
      const std::string text = escape_for_display(tokenizer->token_bytes(step.id));
      ids.push_back(step.id);
      texts.push_back(text);
      continuation += text;
    }
    std::cout << prompt.size() << " prompt tokens, " << gen.steps.size() << " new: " << continuation << "\n";
    std::cout << nlohmann::json{{"ids", ids}, {"tokens", texts}, {"stopped_by", stop_reason_name(gen.stopped_by)}}.dump()
              << "\n";
    if (o.rows_path) {
      write_rows(*o.rows_path, gen);
      std::cout << "wrote " << *o.rows_path << "\n";
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "diffscope-cli generate: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "diffscope-cli generate: " << e.what() << "\n";
    return 1;
  }
}
