// Command-line parsing for diffscope-cli: turns argv into a CliOptions or a UsageError with a one-line message.
// Main thread.
#pragma once

#include "intervention.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace diffscope {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CliOptions {
  std::string command;                       // "run", "bench"
  std::string model, model_b;
  std::optional<std::string> prompt, prompt_file;
  std::optional<std::vector<int64_t>> token_ids;
  std::string device = "auto";
  std::string dtype = "f32";
  std::optional<std::pair<int64_t, int64_t>> span;  // byte offsets [A, B)
  std::optional<std::string> maps_path, stats_path, png_dir;
  std::optional<int> layer, head;           // --layer / --head: one each (kept for old scripts)
  std::vector<int> layers, heads;           // --layers / --heads: which maps --maps and --png hold (empty: all)
  std::optional<std::pair<int64_t, int64_t>> rows, cols;  // --rows A:B / --cols C:D: a window of each map
  int pool = 1;                             // --pool N: N x N cells of the window into one (largest |value|)
  std::string attention = "fused";          // --attention fused|explicit
  int png_scale = 1;
  bool hide_sink = false;
  bool truncate = false;
  std::vector<Intervention> interventions;  // --intervene (repeatable): applied to --model's run, not --model-b's
  std::optional<int64_t> target_id;         // --target-id: a token whose log-probability the shift reports
  std::optional<std::string> target_text;   // --target-text: answer tokens teacher-forced after the prompt
  std::optional<std::string> target_span;   // --target-span: answer tokens inside the prompt (its first occurrence)
  std::optional<std::pair<int64_t, int64_t>> target_tokens;  // --target-tokens A:B: prompt tokens [A, B) as target
  bool rollout = false;   // --rollout: LayerCapture::rollout into --maps
  int bench_tokens = 128;
  int bench_runs = 5;
  bool bench_profile = false;  // --profile: time per stage of the statistics run
};

// Throws UsageError for unknown flags, missing values, malformed numbers or conflicting options.
CliOptions parse_cli(const std::vector<std::string>& args);

const char* cli_usage();

// The value after the flag args[i], which moves i onto it; throws UsageError "<flag> needs a value" at the end.
const std::string& flag_value(const std::vector<std::string>& args, size_t& i);

// The value of `flag` as a whole / real number; throws UsageError naming the flag for anything else.
int64_t parse_integer(const std::string& flag, const std::string& text);
double parse_real(const std::string& flag, const std::string& text);
// The same for flags held in an int: a value outside int's range is a UsageError, never silently narrowed.
int parse_int(const std::string& flag, const std::string& text);

// "A:B" -> {A, B} for --target-tokens: whole numbers with 0 <= A < B; throws UsageError naming `flag`.
std::pair<int64_t, int64_t> parse_token_range(const std::string& flag, const std::string& text);

// Throws UsageError when more than one of the target options is given.
void check_one_target(bool id, bool text, bool span, bool tokens);

// "1,2,3" -> {1, 2, 3}; throws UsageError naming --token-ids for anything else.
std::vector<int64_t> parse_token_ids(const std::string& text);

}  // namespace diffscope
