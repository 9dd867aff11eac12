// `diffscope-cli scan` (cli_scan.h): parses its flags, tokenizes the prompt and the target, runs Model::scan_heads,
// prints the top 10 and the time and writes the table and the heatmap; --bench-tokens times it on random tokens.
// Main thread.
#include "cli_scan.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>

#include "cli_files.h"
#include "cli_options.h"
#include "errors.h"
#include "export.h"
#include "head_scan.h"
#include "model.h"
#include "span_target.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {

const char* kUsage =
    "usage: diffscope-cli scan --model DIR (--prompt TEXT | --prompt-file F | --token-ids 1,2,3 | --bench-tokens N)\n"
    "                          [--target-text TEXT | --target-id N | --target-span TEXT | --target-tokens A:B]\n"
    "                          [--what lambda0|only=A2|ablate=zero|ablate=mean]\n"
    "                          [--device auto|cpu|cuda] [--dtype f32|bf16|f16] [--batch N] [--runs N]\n"
    "                          --out FILE.csv|FILE.json [--png FILE.png]\n"
    "  For every head, the intervention --what on that head alone (default: lambda0, i.e. only A1, for a Diff model;\n"
    "  ablate=zero for a standard one; also lambda=<v>, lambda_scale=<f>, only=A1), ranked by the drop of the target's\n"
    "  log-probability: --target-text's tokens (no BOS) teacher-forced after the prompt, --target-id's token, or by\n"
    "  default the clean run's next token; --target-span: the prompt's tokens overlapping the first occurrence of\n"
    "  TEXT (--target-tokens A:B: tokens A to B-1), each scored from the token before it in the one forward.\n"
    "  --batch: heads run together (default: as many as fit 8 GiB).\n"
    "  --bench-tokens N: a prompt of N random ids; with --runs R, the median of R runs after a warm-up.\n";

struct ScanCliOptions {
  std::string model, device = "auto", dtype = "f32", out;
  std::optional<std::string> prompt, prompt_file, target_text, target_span, png, what;
  std::optional<std::pair<int64_t, int64_t>> target_tokens;
  std::vector<int64_t> token_ids;
  std::optional<int64_t> target_id;
  int batch = 0, bench_tokens = 0, runs = 1;
  bool help = false;  // --help (or -h) where an option stands: print the usage, check nothing else
};

ScanCliOptions parse(const std::vector<std::string>& args) {
  ScanCliOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> std::string { return flag_value(args, i); };
    if (flag == "--model") o.model = value();
    else if (flag == "--prompt") o.prompt = value();
    else if (flag == "--prompt-file") o.prompt_file = value();
    else if (flag == "--token-ids") o.token_ids = parse_token_ids(value());
    else if (flag == "--bench-tokens") o.bench_tokens = parse_int(flag, value());
    else if (flag == "--target-text") o.target_text = value();
    else if (flag == "--target-id") o.target_id = parse_integer(flag, value());
    else if (flag == "--target-span") o.target_span = value();
    else if (flag == "--target-tokens") o.target_tokens = parse_token_range(flag, value());
    else if (flag == "--what") o.what = value();
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else if (flag == "--batch") o.batch = parse_int(flag, value());
    else if (flag == "--runs") o.runs = parse_int(flag, value());
    else if (flag == "--out") o.out = value();
    else if (flag == "--png") o.png = value();
    else if (flag == "--help" || flag == "-h") {
      o.help = true;
      return o;
    } else throw UsageError("unknown option \"" + flag + "\"");
  }
  if (o.model.empty()) throw UsageError("--model DIR is required");
  const int sources = (o.prompt ? 1 : 0) + (o.prompt_file ? 1 : 0) + (o.token_ids.empty() ? 0 : 1) +
                      (o.bench_tokens != 0 ? 1 : 0);
  if (sources != 1) throw UsageError("give exactly one of --prompt, --prompt-file, --token-ids or --bench-tokens");
  check_one_target(o.target_id.has_value(), o.target_text.has_value(), o.target_span.has_value(),
                   o.target_tokens.has_value());
  if (o.target_span && !o.prompt && !o.prompt_file) {
    throw UsageError("--target-span finds text in the prompt: give --prompt or --prompt-file (or use --target-tokens)");
  }
  if (o.out.empty()) throw UsageError("--out FILE.csv or FILE.json is required");
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (!ends_with(o.out, ".csv") && !ends_with(o.out, ".json")) {
    throw UsageError("--out \"" + o.out + "\": the file name must end in .csv or .json");
  }
  if (o.png && !ends_with(*o.png, ".png")) throw UsageError("--png \"" + *o.png + "\": the file name must end in .png");
  if (o.batch < 0) throw UsageError("--batch must be at least 1 (leave it out for as many as fit)");
  if (o.bench_tokens < 0) throw UsageError("--bench-tokens must be at least 1");
  if (o.runs < 1) throw UsageError("--runs must be at least 1");
  if (o.runs > 1 && o.bench_tokens == 0) throw UsageError("--runs goes with --bench-tokens");
  if (o.what) {
    try {
      (void)scan_what(*o.what);
    } catch (const InputError& e) {
      throw UsageError(std::string("--what: ") + e.what());
    }
  }
  return o;
}

// The engine's message about a flag's value, prefixed with the flag.
template <typename F>
auto naming(const std::string& flag, F&& f) {
  try {
    return f();
  } catch (const InputError& e) {
    throw InputError(flag + ": " + e.what());
  }
}

void print_top(const HeadScan& scan, const Tokenizer* tokenizer, bool diff) {
  std::string target;
  for (int64_t id : scan.target) {
    target += tokenizer ? tokenizer->token_bytes(id) : "<" + std::to_string(id) + ">";
  }
  const HeadEffect& any = scan.effects.front();
  const bool in_prompt = scan.target_begin < scan.prompt_tokens;
  const std::string where = in_prompt ? ", tokens " + std::to_string(scan.target_begin) + ":" +
                                            std::to_string(scan.target_begin + static_cast<int64_t>(scan.target.size())) +
                                            " of the prompt"
                                      : "";
  std::printf("target \"%s\" (%zu token%s%s): log p %.4f, rank %lld in the clean run\n",
              escape_for_display(target).c_str(), scan.target.size(), scan.target.size() == 1 ? "" : "s",
              where.c_str(), any.logprob_clean, static_cast<long long>(any.rank_clean));
  std::printf("%4s %5s %5s %12s %10s %11s %10s   (%s, each %s alone)\n", "#", "layer", "head", "log p after",
              "delta", "rank after", "KL", scan_what_name(scan.what, scan.value).c_str(), diff ? "diff head" : "head");
  const size_t shown = std::min<size_t>(10, scan.effects.size());
  for (size_t i = 0; i < shown; ++i) {
    const HeadEffect& e = scan.effects[i];
    std::printf("%4zu %5d %5d %12.4f %10.4f %11lld %10.6f\n", i + 1, e.layer, e.head, e.logprob_changed, e.delta(),
                static_cast<long long>(e.rank_changed), e.kl);
  }
}

}  // namespace

int command_scan(const std::vector<std::string>& args) {
  try {
    const ScanCliOptions o = parse(args);  // `--prompt --help` is a prompt, `--model m --help` asks for the usage
    if (o.help) {
      std::cout << kUsage;
      return 0;
    }
    auto model = Model::load(o.model, LoadOptions{o.device, o.dtype, {}});
    const ModelInfo& info = model->info();
    const bool diff = info.kind == AttentionKind::Differential;
    HeadScanOptions options = o.what ? scan_what(*o.what) : scan_what(diff ? "lambda0" : "ablate=zero");
    options.batch = o.batch;

    std::unique_ptr<Tokenizer> tokenizer;  // only when text is read or shown
    auto text_tokenizer = [&]() -> const Tokenizer& {
      if (!tokenizer) tokenizer = tokenizer_for_model(o.model, info.vocab_size);
      return *tokenizer;
    };
    std::vector<Token> prompt;
    std::string prompt_text;
    if (o.bench_tokens > 0) {
      std::mt19937_64 rng(1234);  // as `bench`: the same ids every time
      std::uniform_int_distribution<int64_t> pick(0, info.vocab_size - 1);
      std::vector<int64_t> ids(static_cast<size_t>(o.bench_tokens));
      for (auto& id : ids) id = pick(rng);
      prompt = tokens_from_ids(ids);
    } else if (!o.token_ids.empty()) {
      prompt = tokens_from_ids(o.token_ids);
    } else {
      prompt_text = o.prompt ? *o.prompt : read_text_file(*o.prompt_file, "prompt file");
      prompt = encode_prompt(text_tokenizer(), prompt_text);
    }
    std::optional<TokenSpan> in_prompt;  // --target-span / --target-tokens
    if (o.target_span) {
      in_prompt = naming("--target-span", [&] { return target_span_of_text(prompt, prompt_text, *o.target_span); });
    } else if (o.target_tokens) {
      in_prompt = naming("--target-tokens", [&] {
        return checked_target_tokens(TokenSpan{o.target_tokens->first, o.target_tokens->second},
                                     static_cast<int64_t>(prompt.size()));
      });
    }
    std::vector<int64_t> answer;
    std::string target_flag = "--prompt";
    if (o.target_text) {
      target_flag = "--target-text";
      answer = naming(target_flag, [&] { return target_ids_from_text(text_tokenizer(), *o.target_text); });
    } else if (o.target_id) {
      target_flag = "--target-id";
      answer = {*o.target_id};
    }
    (void)naming(target_flag, [&] { return scan_sequence(prompt, answer, info.max_positions, info.vocab_size); });
    if (o.what) {
      Intervention probe;
      probe.what = options.what;
      if (probe.diff_only() && !diff) {
        throw UsageError("--what " + *o.what + ": lambda and only= act on Diff heads, and " + info.name +
                         " is standard (use ablate=zero or ablate=mean)");
      }
    }

    std::cout << "scan " << info.name << " (" << info.num_layers << " layers x " << info.num_heads
              << (diff ? " diff heads" : " heads") << ", " << info.device << ", " << info.compute_dtype << "), "
              << prompt.size() << " prompt tokens\n";
    HeadScan scan;
    std::vector<double> seconds;
    auto run_scan = [&] {
      return in_prompt ? model->scan_heads_span(prompt, *in_prompt, options) : model->scan_heads(prompt, answer, options);
    };
    if (o.bench_tokens > 0 && o.runs > 1) (void)run_scan();  // warm-up
    const int64_t memory_before = model->device_memory().current;
    model->reset_peak_memory();
    for (int r = 0; r < o.runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      scan = run_scan();
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    const double peak_mib = static_cast<double>(model->device_memory().peak - memory_before) / (1 << 20);
    print_top(scan, o.bench_tokens > 0 || !o.token_ids.empty() ? nullptr : &text_tokenizer(), diff);
    std::printf("scanned %zu heads in %.3f s%s (batches of %d heads, %lld layer-forwards of %zu tokens; peak device "
                "memory +%.0f MiB)\n",
                scan.effects.size(), median, o.runs > 1 ? " (median)" : "", scan.batch,
                static_cast<long long>(scan.layer_forwards),
                in_prompt ? prompt.size() : prompt.size() + scan.target.size() - 1, peak_mib);
    if (o.bench_tokens > 0) {
      // One plain forward of the same tokens, for scale: the scan's cost in forwards (docs/interventions.md: about
      // heads x (layers + 1) / 2 of them).
      CaptureRequest forward_only;
      forward_only.maps = CaptureRequest::Maps::None;
      forward_only.logits = false;
      forward_only.statistics = false;
      forward_only.overviews = false;
      forward_only.keep_store = false;
      (void)model->run(prompt, forward_only);  // warm-up
      std::vector<double> forward_ms;
      for (int r = 0; r < std::max(o.runs, 3); ++r) {
        const auto start = std::chrono::steady_clock::now();
        (void)model->run(prompt, forward_only);
        forward_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
      std::sort(forward_ms.begin(), forward_ms.end());
      const double forward = forward_ms[forward_ms.size() / 2];
      std::printf("one forward of the %zu tokens: %.2f ms; the scan took %.1f forwards\n", prompt.size(), forward,
                  median * 1000.0 / forward);
      std::printf("BENCH {\"model\": \"%s\", \"tokens\": %d, \"mode\": \"head scan\", \"what\": \"%s\", \"s\": %.4f, "
                  "\"batch\": %d, \"heads\": %zu, \"peak_device_mib\": %.1f, \"forward_ms\": %.3f}\n",
                  info.model_type.c_str(), o.bench_tokens, scan_what_name(scan.what, scan.value).c_str(), median,
                  scan.batch, scan.effects.size(), peak_mib, forward);
    }
    create_parent_folder(o.out);
    if (o.out.size() >= 4 && o.out.compare(o.out.size() - 4, 4, ".csv") == 0) {
      write_head_scan_csv(o.out, scan);
    } else {
      write_head_scan_json(o.out, scan, info.name);
    }
    std::cout << "wrote " << o.out << "\n";
    if (o.png) {
      create_parent_folder(*o.png);
      write_head_scan_png(*o.png, scan, info.num_layers, info.num_heads);
      std::cout << "wrote " << *o.png << "\n";
    }
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "diffscope-cli scan: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "diffscope-cli scan: " << e.what() << "\n";
    return 1;
  }
}
