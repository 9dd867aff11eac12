// Reads what HF `generate` takes from a checkpoint folder: the end-of-sequence ids that stop generation
// (generation_config.json, else config.json, as transformers falls back) and whether it samples by default.
// Plain C++; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace diffscope {

// The ids after which generation stops. generation_config.json decides when it exists (its "eos_token_id": one id, a
// list, or null/absent for none); otherwise config.json's "eos_token_id". Missing files give an empty list. Throws
// CheckpointError naming the file and field when a file is not JSON or the field is not an id or list of ids.
std::vector<int64_t> read_eos_token_ids(const std::string& dir);

// The same rule on JSON text already read: `generation_json` empty means no generation_config.json.
std::vector<int64_t> parse_eos_token_ids(const std::string& generation_json, const std::string& config_json,
                                         const std::string& dir);

// The sampling HF `generate` does by default for this checkpoint (generation_config.json's do_sample, temperature,
// top_k, top_p; transformers' defaults where absent). DiffScope generates greedily unless asked: callers use this to
// say so when the checkpoint expects sampling.
struct SamplingDefaults {
  bool do_sample = false;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
};
SamplingDefaults parse_sampling_defaults(const std::string& generation_json, const std::string& dir);
SamplingDefaults read_sampling_defaults(const std::string& dir);

}  // namespace diffscope
