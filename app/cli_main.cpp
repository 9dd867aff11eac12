// diffscope-cli: runs a model (or two side by side) on a prompt, prints per-layer statistics and writes maps, stats
// and heatmaps; `bench` times the forward pass. Main thread only.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "cli_eval.h"
#include "cli_files.h"
#include "cli_generate.h"
#include "cli_options.h"
#include "cli_tokenize.h"
#include "errors.h"
#include "export.h"
#include "model.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {

std::string fixed(double v, int precision = 3) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

// One row per layer: lambda (Diff), and the head means of entropy, sink mass, max attention, signal, noise and
// |noise| of the map that matters for the model kind (D for a Diff model, the softmax map for a standard one).
std::vector<std::string> layer_table(const AttentionSnapshot& snap) {
  const bool diff = snap.model.kind == AttentionKind::Differential;
  std::vector<std::string> lines;
  lines.push_back(snap.model.name + " (" + snap.model.model_type + (diff ? ", " + snap.model.attention_variant : "") + ", " + std::to_string(snap.model.num_layers) +
                  " layers x " + std::to_string(snap.model.num_heads) + (diff ? " diff heads" : " heads") + ", " +
                  snap.model.device + ", " + snap.model.compute_dtype + ")");
  char header[160];
  std::snprintf(header, sizeof header, "%-5s %7s %8s %8s %8s %8s %8s %8s  %s", "layer", "lambda", "entropy", "sink",
                "max", "signal", "noise", "|noise|", diff ? "(of D)" : "");
  lines.push_back(header);
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    const LayerCapture& layer = snap.layers[i];
    const HeadStats mean = mean_over_heads(layer.stats(diff ? MapKind::Diff : MapKind::Standard));
    char row[160];
    std::snprintf(row, sizeof row, "%-5zu %7s %8s %8s %8s %8s %8s %8s", i,
                  diff ? fixed(layer.mean_lambda()).c_str() : "-", fixed(mean.entropy).c_str(),
                  fixed(mean.sink_mass).c_str(), fixed(mean.max_attention).c_str(), fixed(mean.signal).c_str(),
                  fixed(mean.noise).c_str(), fixed(mean.noise_abs).c_str());
    lines.push_back(row);
  }
  return lines;
}

void print_side_by_side(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t width = 0;
  for (const auto& line : a) width = std::max(width, line.size());
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string left = i < a.size() ? a[i] : "";
    left.resize(width + 4, ' ');
    std::cout << left << (i < b.size() ? b[i] : "") << "\n";
  }
}

// "out.safetensors" -> "out.b.safetensors" for the second model's files.
std::string with_suffix(const std::string& path, const std::string& suffix) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + suffix;
  return path.substr(0, dot) + suffix + path.substr(dot);
}

void write_outputs(const CliOptions& o, const AttentionSnapshot& snap, const std::string& suffix) {
  if (o.maps_path) {
    const std::string path = suffix.empty() ? *o.maps_path : with_suffix(*o.maps_path, suffix);
    write_maps_safetensors(path, snap);
    std::cout << "wrote " << path << "\n";
  }
  if (o.stats_path) {
    const std::string path = suffix.empty() ? *o.stats_path : with_suffix(*o.stats_path, suffix);
    write_stats_json(path, snap);
    std::cout << "wrote " << path << "\n";
  }
  if (o.png_dir) {
    PngSelection selection;
    selection.layer = o.layer;
    selection.head = o.head;
    selection.cell_pixels = o.png_scale;
    selection.hide_sink = o.hide_sink;
    const std::string dir = suffix.empty() ? *o.png_dir : *o.png_dir + "/" + suffix.substr(1);
    const auto written = write_map_pngs(dir, snap, selection);
    std::cout << "wrote " << written.size() << " heatmaps to " << dir << "\n";
  }
}

void check_selection(const CliOptions& o, const ModelInfo& info) {
  if (o.layer && (*o.layer < 0 || *o.layer >= info.num_layers)) {
    throw InputError("--layer " + std::to_string(*o.layer) + ": " + info.name + " has layers 0.." +
                     std::to_string(info.num_layers - 1));
  }
  if (o.head && (*o.head < 0 || *o.head >= info.num_heads)) {
    throw InputError("--head " + std::to_string(*o.head) + ": " + info.name + " has heads 0.." +
                     std::to_string(info.num_heads - 1));
  }
}

int command_run(const CliOptions& o) {
  const LoadOptions load{o.device, o.dtype, {}};
  auto model = Model::load(o.model, load);
  std::unique_ptr<Model> model_b;
  if (!o.model_b.empty()) model_b = Model::load(o.model_b, load);
  check_selection(o, model->info());

  std::vector<Token> tokens;
  if (o.token_ids) {
    tokens = tokens_from_ids(*o.token_ids);
  } else {
    const std::string text = o.prompt ? *o.prompt : read_text_file(*o.prompt_file, "prompt file");
    tokens = tokenizer_for_model(o.model, model->info().vocab_size)->encode(text);
  }
  int64_t context = model->info().max_positions;
  if (model_b) context = std::min(context, model_b->info().max_positions);
  if (o.truncate && static_cast<int64_t>(tokens.size()) > context) {
    std::cerr << "note: keeping the first " << context << " of " << tokens.size() << " tokens (--truncate)\n";
    tokens.resize(static_cast<size_t>(context));
  }
  CaptureRequest request;
  if (o.span) request.span = tokens_overlapping(tokens, o.span->first, o.span->second);
  request.rollout = o.rollout;
  // Full maps are needed only for files that hold them; otherwise statistics are enough.
  request.maps = (o.maps_path || o.png_dir) ? CaptureRequest::Maps::All : CaptureRequest::Maps::None;
  if (request.maps == CaptureRequest::Maps::All && o.png_dir && !o.maps_path && (o.layer || o.head)) {
    request.maps = CaptureRequest::Maps::Selected;
    const ModelInfo& info = model->info();
    for (int l = 0; l < info.num_layers; ++l) {
      for (int h = 0; h < info.num_heads; ++h) {
        if ((!o.layer || *o.layer == l) && (!o.head || *o.head == h)) request.heads.push_back({l, h});
      }
    }
  }
  request.logits = o.maps_path.has_value();

  const AttentionSnapshot snap = model->run(tokens, request);
  std::cout << tokens.size() << " tokens";
  if (request.span) std::cout << ", span = tokens [" << request.span->begin << ", " << request.span->end << ")";
  std::cout << "\n";
  if (!model_b) {
    for (const auto& line : layer_table(snap)) std::cout << line << "\n";
    write_outputs(o, snap, "");
    return 0;
  }
  check_selection(o, model_b->info());
  CaptureRequest request_b = request;
  if (request_b.maps == CaptureRequest::Maps::Selected) request_b.maps = CaptureRequest::Maps::All;
  const AttentionSnapshot snap_b = model_b->run(tokens, request_b);
  print_side_by_side(layer_table(snap), layer_table(snap_b));
  write_outputs(o, snap, "");
  write_outputs(o, snap_b, ".b");
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int command_bench(const CliOptions& o) {
  auto model = Model::load(o.model, LoadOptions{o.device, o.dtype, {}});
  const ModelInfo& info = model->info();
  if (o.bench_tokens > info.max_positions) {
    throw InputError("--tokens " + std::to_string(o.bench_tokens) + " is longer than the model's context of " +
                     std::to_string(info.max_positions));
  }
  std::mt19937_64 rng(1234);
  std::uniform_int_distribution<int64_t> pick(0, info.vocab_size - 1);
  std::vector<int64_t> ids(static_cast<size_t>(o.bench_tokens));
  for (auto& id : ids) id = pick(rng);
  const std::vector<Token> tokens = tokens_from_ids(ids);

  struct Mode {
    const char* name;
    CaptureRequest request;
  };
  CaptureRequest full;
  CaptureRequest stats_only;
  stats_only.maps = CaptureRequest::Maps::None;
  stats_only.logits = false;
  CaptureRequest none = stats_only;
  none.statistics = false;
  const Mode modes[] = {{"full capture", full}, {"statistics only", stats_only}, {"no capture", none}};

  std::cout << "bench " << info.name << " (" << info.model_type << ", " << info.num_parameters << " parameters) on "
            << info.device << " in " << info.compute_dtype << ", " << o.bench_tokens << " tokens, median of "
            << o.bench_runs << " runs after 1 warm-up\n";
  double baseline = 0;
  for (const Mode& mode : modes) {
    (void)model->run(tokens, mode.request);  // warm-up: allocator, kernels, caches
    std::vector<double> ms;
    for (int r = 0; r < o.bench_runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      (void)model->run(tokens, mode.request);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    const double m = median(ms);
    if (baseline == 0) baseline = m;
    std::printf("  %-16s %10.2f ms per forward  (%.2fx of full capture)\n", mode.name, m, m / baseline);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << cli_usage();
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "tokenize") return command_tokenize(rest);
  if (args[0] == "eval-retrieval") return command_eval_retrieval(rest);
  if (args[0] == "generate") return command_generate(rest);
  try {
    const CliOptions options = parse_cli(args);
    return options.command == "bench" ? command_bench(options) : command_run(options);
  } catch (const UsageError& e) {
    std::cerr << "diffscope-cli: " << e.what() << "\n" << cli_usage();
    return 2;
  } catch (const EngineError& e) {
    std::cerr << "diffscope-cli: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "diffscope-cli: internal error: " << e.what() << "\n";
    return 1;
  }
}
