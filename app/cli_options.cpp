// Command-line parsing for diffscope-cli. Main thread.
#include "cli_options.h"

#include <cstdlib>
#include <limits>

#include "errors.h"

namespace diffscope {

int64_t parse_integer(const std::string& flag, const std::string& text) {
  if (text.empty()) throw UsageError(flag + " needs a number");
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) throw UsageError(flag + ": \"" + text + "\" is not a whole number");
  return v;
}

const std::string& flag_value(const std::vector<std::string>& args, size_t& i) {
  if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
  return args[++i];
}

int parse_int(const std::string& flag, const std::string& text) {
  const int64_t v = parse_integer(flag, text);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw UsageError(flag + " " + text + ": out of range (at most " + std::to_string(std::numeric_limits<int>::max()) +
                     ")");
  }
  return static_cast<int>(v);
}

double parse_real(const std::string& flag, const std::string& text) {
  if (text.empty()) throw UsageError(flag + " needs a number");
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE) throw UsageError(flag + ": \"" + text + "\" is not a number");
  return v;
}

std::vector<int64_t> parse_token_ids(const std::string& text) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    ids.push_back(parse_integer("--token-ids", text.substr(start, comma - start)));
    start = comma + 1;
  }
  return ids;
}

namespace {

// "A:B" with 0 <= A < B, for --rows / --cols (token indices).
std::pair<int64_t, int64_t> parse_range(const std::string& flag, const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw UsageError(flag + " \"" + text + "\": write token indices as A:B, e.g. " + flag + " 0:512");
  const int64_t a = parse_integer(flag, text.substr(0, colon));
  const int64_t b = parse_integer(flag, text.substr(colon + 1));
  if (a < 0 || b <= a) throw UsageError(flag + " " + text + ": need 0 <= A < B");
  return {a, b};
}

// "0,3,5" -> {0, 3, 5}.
std::vector<int> parse_index_list(const std::string& flag, const std::string& text) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const int64_t v = parse_integer(flag, text.substr(start, comma - start));
    if (v < 0 || v > 1 << 20) throw UsageError(flag + ": " + std::to_string(v) + " is not an index");
    out.push_back(static_cast<int>(v));
    start = comma + 1;
  }
  return out;
}

std::pair<int64_t, int64_t> parse_span(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw UsageError("--span \"" + text + "\": write byte offsets as A:B, e.g. --span 10:24");
  const int64_t a = parse_integer("--span", text.substr(0, colon));
  const int64_t b = parse_integer("--span", text.substr(colon + 1));
  if (a < 0 || b <= a) throw UsageError("--span " + text + ": need 0 <= A < B");
  return {a, b};
}

}  // namespace

std::pair<int64_t, int64_t> parse_token_range(const std::string& flag, const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    throw UsageError(flag + " \"" + text + "\": write token indices as A:B (tokens A to B-1), e.g. " + flag + " 12:14");
  }
  const int64_t a = parse_integer(flag, text.substr(0, colon));
  const int64_t b = parse_integer(flag, text.substr(colon + 1));
  if (a < 0 || b <= a) throw UsageError(flag + " " + text + ": need 0 <= A < B");
  return {a, b};
}

void check_one_target(bool id, bool text, bool span, bool tokens) {
  if ((id ? 1 : 0) + (text ? 1 : 0) + (span ? 1 : 0) + (tokens ? 1 : 0) > 1) {
    throw UsageError("give one of --target-id, --target-text, --target-span or --target-tokens, not several");
  }
}

const char* cli_usage() {
  return "usage:\n"
         "  diffscope-cli run --model DIR [--model-b DIR] (--prompt TEXT | --prompt-file F | --token-ids 1,2,3)\n"
         "                [--device auto|cpu|cuda] [--dtype f32|bf16|f16] [--span A:B] [--truncate] [--rollout]\n"
         "                [--maps OUT.safetensors] [--stats OUT.json] [--png DIR [--png-scale N] [--hide-sink]]\n"
         "                [--layers L,L..] [--heads H,H..] [--rows A:B] [--cols C:D] [--pool N]\n"
         "                [--attention fused|explicit]\n"
         "                [--intervene L<l>.H<h|*>:<what> ...\n"
         "                 [--target-id N | --target-text T | --target-span T | --target-tokens A:B]]\n"
         "  diffscope-cli bench --model DIR [--tokens N] [--runs N] [--device ...] [--dtype ...] [--profile]\n"
         "  diffscope-cli tokenize (--model DIR | --tokenizer FILE) (--text TEXT | --file F)\n"
         "  diffscope-cli generate --model DIR (--prompt TEXT | ...) [--max-new-tokens N] [--top-k K] [--top-p P]\n"
         "                [--temperature T] [--seed S] [--rows OUT.safetensors]\n"
         "  diffscope-cli scan --model DIR (--prompt TEXT | ...) [--target-text T | --target-id N | --target-span T |\n"
         "                --target-tokens A:B]\n"
         "                [--what lambda0|only=A2|ablate=zero|ablate=mean] [--batch N] --out FILE.csv|FILE.json\n"
         "                [--png FILE.png]   (every head's effect on the target, ranked; scan --help for more)\n"
         "  diffscope-cli eval-retrieval [--model DIR] [--model-b DIR] [--limit N] [--out FILE.md]\n"
         "  diffscope-cli eval-interventions [--model DIR] [--model-b DIR] [--limit N] [--seeds S] [--out FILE.md]\n"
         "                (the answer's log-probability with every lambda = 0 vs random head knockouts; --help)\n"
         "  diffscope-cli soak --model DIR [--model-b DIR] --prompt-file FILE [--runs N]   (memory over many prompts)\n"
         "\n"
         "  --span A:B     relevant span as byte offsets [A, B) of the prompt (signal/noise statistics)\n"
         "  --truncate     keep the first tokens that fit the model's context\n"
         "  --rollout      add attention rollout through each layer to --maps (layer.{i}.rollout [T, T])\n"
         "  --model-b      a second model run on the same tokens; its files get a \".b\" suffix\n"
         "  --layers/--heads  which maps --maps and --png hold (default: every head of every layer; --layer/--head\n"
         "                 pick one each)\n"
         "  --rows/--cols  a window of each of those maps: query rows [A, B) x keys [C, D) (default: all)\n"
         "  --pool N       pool N x N cells of the window into one, keeping the entry of largest |value|\n"
         "  --attention    fused (default: never holds a layer's T x T maps) or explicit (HF eager's order)\n"
         "  --intervene    change --model's forward (repeatable): L3.H2:lambda=0, L3.H*:lambda_scale=0.5, L3.H2:only=A1,\n"
         "                 L3.H2:only=A2 (Diff heads), L3.H2:ablate=zero, L3.H2:ablate=mean (any head); later layers\n"
         "                 see the change, and --maps/--stats/logits are the changed run's; prints the next-token\n"
         "                 prediction before and after (top 5, KL) and --target-id's log-probability and rank\n"
         "  --target-text  an answer after the prompt (its tokens, no BOS): the log-probability of all of them (each\n"
         "                 predicted from the prompt and the answer's tokens before it) and the first one's rank\n"
         "  --target-span  answer tokens inside the prompt: those overlapping the first occurrence of the text, each\n"
         "                 scored from the token before it in the same forward (summed log-probability, first's rank)\n"
         "  --target-tokens A:B  the same for the prompt's tokens A to B-1 (A >= 1)\n";
}

CliOptions parse_cli(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("no command given: use run, bench, generate, scan, tokenize, eval-retrieval, eval-interventions or soak");
  CliOptions o;
  o.command = args[0];
  if (o.command != "run" && o.command != "bench") {
    throw UsageError("unknown command \"" + o.command + "\": use run, bench, generate, scan, tokenize, eval-retrieval, eval-interventions or soak");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> std::string { return flag_value(args, i); };
    if (flag == "--model") o.model = value();
    else if (flag == "--model-b") o.model_b = value();
    else if (flag == "--prompt") o.prompt = value();
    else if (flag == "--prompt-file") o.prompt_file = value();
    else if (flag == "--token-ids") o.token_ids = parse_token_ids(value());
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else if (flag == "--span") o.span = parse_span(value());
    else if (flag == "--maps") o.maps_path = value();
    else if (flag == "--stats") o.stats_path = value();
    else if (flag == "--png") o.png_dir = value();
    else if (flag == "--layer") o.layer = parse_int(flag, value());
    else if (flag == "--head") o.head = parse_int(flag, value());
    else if (flag == "--layers") o.layers = parse_index_list(flag, value());
    else if (flag == "--heads") o.heads = parse_index_list(flag, value());
    else if (flag == "--rows") o.rows = parse_range(flag, value());
    else if (flag == "--cols") o.cols = parse_range(flag, value());
    else if (flag == "--pool") o.pool = parse_int(flag, value());
    else if (flag == "--attention") o.attention = value();
    else if (flag == "--png-scale") o.png_scale = parse_int(flag, value());
    else if (flag == "--hide-sink") o.hide_sink = true;
    else if (flag == "--truncate") o.truncate = true;
    else if (flag == "--target-id") o.target_id = parse_integer(flag, value());
    else if (flag == "--target-text") o.target_text = value();
    else if (flag == "--target-span") o.target_span = value();
    else if (flag == "--target-tokens") o.target_tokens = parse_token_range(flag, value());
    else if (flag == "--intervene") {
      try {
        o.interventions.push_back(parse_intervention(value()));
      } catch (const InputError& e) {
        throw UsageError(e.what());
      }
    }
    else if (flag == "--rollout") o.rollout = true;
    else if (flag == "--tokens") o.bench_tokens = parse_int(flag, value());
    else if (flag == "--runs") o.bench_runs = parse_int(flag, value());
    else if (flag == "--profile") o.bench_profile = true;
    else throw UsageError("unknown option \"" + flag + "\"");
  }
  if (o.model.empty()) throw UsageError("--model DIR is required");
  if (o.command == "run") {
    const int sources = (o.prompt ? 1 : 0) + (o.prompt_file ? 1 : 0) + (o.token_ids ? 1 : 0);
    if (sources != 1) throw UsageError("give exactly one of --prompt, --prompt-file or --token-ids");
    if (o.span && o.token_ids) throw UsageError("--span needs a text prompt (byte offsets); it cannot be used with --token-ids");
  }
  check_one_target(o.target_id.has_value(), o.target_text.has_value(), o.target_span.has_value(),
                   o.target_tokens.has_value());
  if ((o.target_id || o.target_text || o.target_span || o.target_tokens) && o.interventions.empty()) {
    throw UsageError(std::string(o.target_id     ? "--target-id"
                                 : o.target_text ? "--target-text"
                                 : o.target_span ? "--target-span"
                                                 : "--target-tokens") +
                     " reports the target before and after --intervene: give --intervene too");
  }
  if (o.target_span && o.token_ids) {
    throw UsageError("--target-span finds text in the prompt; with --token-ids use --target-tokens A:B");
  }
  if (o.rollout && !o.maps_path) throw UsageError("--rollout adds to --maps: give --maps OUT.safetensors too");
  if (o.layer && !o.layers.empty()) throw UsageError("give --layer or --layers, not both");
  if (o.head && !o.heads.empty()) throw UsageError("give --head or --heads, not both");
  if (o.layer) o.layers = {*o.layer};
  if (o.head) o.heads = {*o.head};
  const bool window = o.rows || o.cols || o.pool != 1;
  if (window && !o.maps_path && !o.png_dir) throw UsageError("--rows, --cols and --pool shape the maps of --maps or --png: give one of them");
  if (window && o.rollout) throw UsageError("--rollout writes whole maps; it cannot be combined with --rows, --cols or --pool");
  if (o.pool < 1 || o.pool > 1 << 20) throw UsageError("--pool must be at least 1");
  if (o.attention != "fused" && o.attention != "explicit") {
    throw UsageError("--attention \"" + o.attention + "\": use fused or explicit");
  }
  if (o.bench_profile && o.command != "bench") throw UsageError("--profile goes with bench");
  if (o.png_scale < 1 || o.png_scale > 64) throw UsageError("--png-scale must be between 1 and 64");
  if (o.bench_tokens < 1) throw UsageError("--tokens must be at least 1");
  if (o.bench_runs < 1) throw UsageError("--runs must be at least 1");
  return o;
}

}  // namespace diffscope
