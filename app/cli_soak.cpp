// The soak command (cli_soak.h): prompts of varying length through InferenceWorker, RSS sampled. Main thread.
#include "cli_soak.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "cli_files.h"
#include "errors.h"
#include "inference_worker.h"
#include "process_memory.h"
#include "soak_piece.h"
#include "torch_slot_model.h"

namespace {

const char* kUsage =
    "usage: diffscope-cli soak --model DIR [--model-b DIR] --prompt-file FILE [--runs N] [--every K]\n"
    "                          [--max-bytes B] [--device auto|cpu|cuda] [--dtype f32|bf16|f16]\n"
    "  Runs N prompts (default 2000) through the app's inference worker, as typing would: each a piece of FILE of\n"
    "  10..B bytes (default 2000), statistics, overviews and dense maps as the app asks for short prompts. Prints the\n"
    "  resident memory every K runs (default 100) and, at the end, its growth from the first sample.\n";

struct SoakOptions {
  std::string model, model_b, prompt_file, device = "auto", dtype = "f32";
  int runs = 2000, every = 100, max_bytes = 2000;
};

struct BadUsage {
  std::string message;
};

int positive(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    const long n = std::stol(v, &used);
    if (used == v.size() && n >= 1 && n <= 100000000) return static_cast<int>(n);
  } catch (const std::exception&) {
  }
  throw BadUsage{flag + " takes a whole number from 1 to 100000000, got '" + v + "'"};
}

SoakOptions parse(const std::vector<std::string>& args) {
  SoakOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw BadUsage{flag + " needs a value"};
      return args[++i];
    };
    if (flag == "--model") o.model = value();
    else if (flag == "--model-b") o.model_b = value();
    else if (flag == "--prompt-file") o.prompt_file = value();
    else if (flag == "--runs") o.runs = positive(flag, value());
    else if (flag == "--every") o.every = positive(flag, value());
    else if (flag == "--max-bytes") o.max_bytes = positive(flag, value());
    else if (flag == "--device") o.device = value();
    else if (flag == "--dtype") o.dtype = value();
    else throw BadUsage{"unknown option " + flag};
  }
  if (o.model.empty()) throw BadUsage{"--model is required"};
  if (o.prompt_file.empty()) throw BadUsage{"--prompt-file is required"};
  return o;
}

// Waits until every loaded slot has published a result (or an error) newer than `after`; false after 10 minutes.
bool wait_for_results(const diffscope::InferenceWorker& worker, const std::vector<int>& slots,
                      const std::vector<uint64_t>& after) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  for (;;) {
    bool all = worker.idle();
    for (size_t k = 0; k < slots.size() && all; ++k) {
      const diffscope::SlotState s = worker.state(slots[k]);
      all = s.sequence > after[k] || !s.error.empty();
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a tool's poll, not a test's synchronization
  }
}

}  // namespace

int command_soak(const std::vector<std::string>& args) {
  using namespace diffscope;
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  try {
    const SoakOptions o = parse(args);
    const std::string text = read_text_file(o.prompt_file, "prompt file");
    if (text.size() < 10) throw InputError("the prompt file " + o.prompt_file + " has fewer than 10 bytes");
    InferenceWorker worker(load_torch_slot_model);
    LoadOptions load;
    load.device = o.device;
    load.dtype = o.dtype;
    std::vector<int> slots = {0};
    worker.load(0, o.model, load);
    if (!o.model_b.empty()) {
      worker.load(1, o.model_b, load);
      slots.push_back(1);
    }
    while (!worker.idle()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (int slot : slots) {
      const SlotState s = worker.state(slot);
      if (s.phase != SlotState::Phase::Ready) throw InputError("slot " + std::to_string(slot) + ": " + s.error);
    }
    std::cout << "soak: " << o.runs << " prompts of 10.." << o.max_bytes << " bytes; RSS after loading "
              << static_cast<int>(resident_mib()) << " MiB\n";
    double first = 0, peak = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int run = 1; run <= o.runs; ++run) {
      RunRequest request;
      request.text = soak_piece(text, run, o.max_bytes);
      request.prompt_id = static_cast<uint64_t>(run);
      request.capture.statistics = true;
      request.capture.overviews = true;
      request.capture.keep_store = true;
      request.capture.maps = CaptureRequest::Maps::All;  // the app's request for short prompts
      std::vector<uint64_t> before;
      for (int slot : slots) before.push_back(worker.state(slot).sequence);
      worker.submit(request);
      if (!wait_for_results(worker, slots, before)) throw InputError("a run took more than 10 minutes");
      for (int slot : slots) {
        const SlotState s = worker.state(slot);
        if (!s.error.empty()) throw InputError("run " + std::to_string(run) + ", slot " + std::to_string(slot) + ": " + s.error);
      }
      const double rss = resident_mib();
      peak = std::max(peak, rss);
      if (run % o.every == 0 || run == o.runs) {
        if (first == 0) first = rss;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << "run " << run << ": RSS " << static_cast<int>(rss) << " MiB (peak " << static_cast<int>(peak)
                  << "), " << static_cast<int>(1000 * seconds / run) << " ms per prompt\n";
      }
    }
    std::cout << "soak: RSS grew " << static_cast<int>(resident_mib() - first) << " MiB from run " << o.every << " to run "
              << o.runs << " (peak " << static_cast<int>(peak) << " MiB)\n";
    return 0;
  } catch (const BadUsage& e) {
    std::cerr << "diffscope-cli soak: " << e.message << "\n" << kUsage;
    return 2;
  } catch (const EngineError& e) {
    std::cerr << "diffscope-cli: " << e.what() << "\n";
    return 1;
  }
}
