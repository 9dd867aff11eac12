// diffscope-cli: runs a model (or two side by side) on a prompt, prints per-layer statistics and writes maps, stats
// and heatmaps; `bench` times the forward pass. Main thread only.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include "cli_eval.h"
#include "cli_eval_interventions.h"
#include "cli_files.h"
#include "cli_generate.h"
#include "cli_options.h"
#include "cli_scan.h"
#include "cli_soak.h"
#include "cli_tokenize.h"
#include "errors.h"
#include "export.h"
#include "head_scan.h"
#include "model.h"
#include "prediction_shift.h"
#include "process_memory.h"
#include "span_target.h"
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

std::vector<HeadRef> selected_heads(const CliOptions& o, const ModelInfo& info);

// The rows, keys and pool that --rows/--cols/--pool name (the whole map by default), checked against the prompt.
MapWindow window_of(const CliOptions& o, const AttentionSnapshot& snap) {
  const int64_t T = static_cast<int64_t>(snap.tokens.size());
  MapWindow w;
  w.row_begin = o.rows ? o.rows->first : 0;
  w.row_end = o.rows ? o.rows->second : T;
  w.col_begin = o.cols ? o.cols->first : 0;
  w.col_end = o.cols ? o.cols->second : T;
  w.pool = o.pool;
  if (w.row_end > T || w.col_end > T) {
    throw InputError("--rows/--cols reach past the prompt's " + std::to_string(T) + " tokens (rows " +
                     std::to_string(w.row_begin) + ":" + std::to_string(w.row_end) + ", keys " +
                     std::to_string(w.col_begin) + ":" + std::to_string(w.col_end) + ")");
  }
  return w;
}

void write_outputs(const CliOptions& o, const AttentionSnapshot& snap, const std::string& suffix) {
  if (o.maps_path) {
    const std::string path = suffix.empty() ? *o.maps_path : with_suffix(*o.maps_path, suffix);
    create_parent_folder(path);
    write_maps_safetensors(path, snap);
    std::cout << "wrote " << path << "\n";
  }
  if (o.stats_path) {
    const std::string path = suffix.empty() ? *o.stats_path : with_suffix(*o.stats_path, suffix);
    create_parent_folder(path);
    write_stats_json(path, snap);
    std::cout << "wrote " << path << "\n";
  }
  if (o.png_dir) {
    // Streamed from the run's store band by band, so a map of any length fits in memory.
    PngSelection selection;
    selection.cell_pixels = o.png_scale;
    selection.hide_sink = o.hide_sink;
    const std::string dir = suffix.empty() ? *o.png_dir : *o.png_dir + "/" + suffix.substr(1);
    const auto written = stream_map_pngs(dir, snap, selected_heads(o, snap.model), window_of(o, snap), selection);
    std::cout << "wrote " << written.size() << " heatmaps to " << dir << "\n";
  }
}

// The (layer, head) pairs of --layers x --heads (all when not given), checked against the model.
std::vector<HeadRef> selected_heads(const CliOptions& o, const ModelInfo& info) {
  const std::string layer_flag = o.layer ? "--layer" : "--layers", head_flag = o.head ? "--head" : "--heads";
  for (int l : o.layers) {
    if (l >= info.num_layers) {
      throw InputError(layer_flag + " " + std::to_string(l) + ": " + info.name + " has layers 0.." +
                       std::to_string(info.num_layers - 1));
    }
  }
  for (int h : o.heads) {
    if (h >= info.num_heads) {
      throw InputError(head_flag + " " + std::to_string(h) + ": " + info.name + " has heads 0.." +
                       std::to_string(info.num_heads - 1) +
                       (info.kind == AttentionKind::Differential ? " (differential heads)" : ""));
    }
  }
  std::vector<HeadRef> out;
  for (int l = 0; l < info.num_layers; ++l) {
    if (!o.layers.empty() && std::find(o.layers.begin(), o.layers.end(), l) == o.layers.end()) continue;
    for (int h = 0; h < info.num_heads; ++h) {
      if (o.heads.empty() || std::find(o.heads.begin(), o.heads.end(), h) != o.heads.end()) out.push_back({l, h});
    }
  }
  return out;
}

bool wants_window(const CliOptions& o) { return o.rows || o.cols || o.pool != 1; }

CaptureRequest request_for(const CliOptions& o, const std::vector<Token>& tokens, const ModelInfo& info) {
  CaptureRequest request;
  if (o.span) request.span = tokens_overlapping(tokens, o.span->first, o.span->second);
  request.rollout = o.rollout;
  request.attention = o.attention == "explicit" ? CaptureRequest::Attention::Explicit : CaptureRequest::Attention::Fused;
  // --maps: whole maps come with the run, windows from the run's store afterwards; --png: always from the store.
  request.maps = CaptureRequest::Maps::None;
  request.keep_store = o.png_dir || (o.maps_path && wants_window(o));
  if (o.png_dir || o.maps_path) request.heads = selected_heads(o, info);  // checked against the model before the run
  if (o.maps_path && !wants_window(o)) {
    request.maps = o.layers.empty() && o.heads.empty() ? CaptureRequest::Maps::All : CaptureRequest::Maps::Selected;
  }
  request.logits = o.maps_path.has_value() && !wants_window(o);
  return request;
}

// Puts the --rows/--cols/--pool window of every selected map into the snapshot, where --maps finds it.
void fetch_windows(const CliOptions& o, AttentionSnapshot& snap) {
  if (!wants_window(o) || !o.maps_path || !snap.store) {
    if (o.png_dir) (void)window_of(o, snap);  // a window past the prompt is refused before any file is written
    return;
  }
  MapWindow w = window_of(o, snap);
  for (const HeadRef& ref : selected_heads(o, snap.model)) {
    LayerCapture& layer = snap.layers[static_cast<size_t>(ref.layer)];
    for (MapKind kind : map_kinds_of(snap.model)) {
      std::vector<Matrix>& maps = layer.maps(kind);
      maps.resize(static_cast<size_t>(snap.model.num_heads));
      w.layer = ref.layer;
      w.kind = kind;
      w.head = ref.head;
      maps[static_cast<size_t>(ref.head)] = snap.store->window(w);
    }
  }
  snap.map_window = MapWindowInfo{w.row_begin, w.row_end, w.col_begin, w.col_end, w.pool};
}

// With --intervene and --target-text: the answer's tokens teacher-forced after the prompt, clean and changed (two more
// runs over the prompt and the answer's tokens but the last); its summed log-probability and its first token's rank.
void print_text_target_shift(const CliOptions& o, const Model& model, const std::vector<Token>& prompt,
                             const Tokenizer& tokenizer) {
  std::vector<int64_t> answer;
  std::vector<Token> seq;
  try {
    answer = target_ids_from_text(tokenizer, *o.target_text);
    seq = scan_sequence(prompt, answer, model.info().max_positions, model.info().vocab_size);
  } catch (const InputError& e) {
    throw InputError(std::string("--target-text: ") + e.what());
  }
  CaptureRequest request;
  request.maps = CaptureRequest::Maps::None;
  request.statistics = false;
  request.overviews = false;
  request.keep_store = false;
  const Matrix clean = model.run(seq, request).logits;
  request.interventions = o.interventions;
  const Matrix changed = model.run(seq, request).logits;
  const int64_t first = static_cast<int64_t>(prompt.size()) - 1, V = clean.cols;
  const PredictionShift s = next_token_shift(clean.values.data() + first * V, changed.values.data() + first * V, V,
                                             answer.front(), 0);
  std::printf("target \"%s\" (%zu tokens): log p %.4f -> %.4f, rank of its first token %lld -> %lld\n",
              escape_for_display(*o.target_text).c_str(), answer.size(), teacher_forced_logprob(clean, first, answer),
              teacher_forced_logprob(changed, first, answer), static_cast<long long>(s.target_rank_clean),
              static_cast<long long>(s.target_rank_changed));
}

// The prompt's tokens that --target-span or --target-tokens names (none when neither is given), checked before any run.
std::optional<TokenSpan> target_in_prompt(const CliOptions& o, const std::vector<Token>& tokens,
                                          const std::string& text) {
  try {
    if (o.target_span) return target_span_of_text(tokens, text, *o.target_span);
    if (o.target_tokens) {
      return checked_target_tokens(TokenSpan{o.target_tokens->first, o.target_tokens->second},
                                   static_cast<int64_t>(tokens.size()));
    }
  } catch (const InputError& e) {
    throw InputError(std::string(o.target_span ? "--target-span: " : "--target-tokens: ") + e.what());
  }
  return std::nullopt;
}

// With --intervene and a target inside the prompt: its summed log-probability and first token's rank, each token
// scored from the token before it, in the clean and the changed run (the same forwards as the next-token shift).
void print_span_target_shift(const Matrix& clean, const Matrix& changed, const std::vector<Token>& tokens,
                             TokenSpan span, const Tokenizer& tokenizer) {
  const SpanScore before = score_span(clean, tokens, span), after = score_span(changed, tokens, span);
  std::string text;
  for (int64_t t = span.begin; t < span.end; ++t) text += tokenizer.token_bytes(tokens[static_cast<size_t>(t)].id);
  const int64_t n = span.end - span.begin;
  std::printf("target span \"%s\" (tokens %lld:%lld, %lld token%s): log p %.4f -> %.4f, rank of its first token %lld "
              "-> %lld, every token the top prediction: %s -> %s\n",
              escape_for_display(text).c_str(), static_cast<long long>(span.begin), static_cast<long long>(span.end),
              static_cast<long long>(n), n == 1 ? "" : "s", before.logprob, after.logprob,
              static_cast<long long>(before.first_rank), static_cast<long long>(after.first_rank),
              before.all_top ? "yes" : "no", after.all_top ? "yes" : "no");
}

// With --intervene: the clean run's next-token prediction beside the changed run's (top 5 each, the KL divergence,
// and --target-id's log-probability and rank).
void print_prediction_shift(const CliOptions& o, const Model& model, const std::vector<Token>& tokens,
                            const AttentionSnapshot& changed, std::optional<TokenSpan> target_span) {
  CaptureRequest clean_request;
  clean_request.maps = CaptureRequest::Maps::None;
  clean_request.statistics = false;
  clean_request.overviews = false;
  clean_request.keep_store = false;
  const AttentionSnapshot clean = model.run(tokens, clean_request);
  const int64_t V = clean.logits.cols, last = clean.logits.rows - 1;
  const PredictionShift s = next_token_shift(clean.logits.values.data() + last * V,
                                             changed.logits.values.data() + last * V, V, o.target_id, 5);
  const auto tokenizer = tokenizer_for_model(o.model, V);
  auto list = [&](const std::vector<TokenProbability>& top) {
    std::string out;
    for (const TokenProbability& t : top) {
      char prob[32];
      std::snprintf(prob, sizeof prob, " %.3f", t.probability);
      out += "  " + std::to_string(t.id) + " \"" + escape_for_display(tokenizer->token_bytes(t.id)) + "\"" + prob;
    }
    return out;
  };
  std::printf("next token, clean:  %s\nnext token, changed:%s\nKL(clean || changed) = %.6f nats\n",
              list(s.top_clean).c_str(), list(s.top_changed).c_str(), s.kl);
  if (s.target) {
    std::printf("target %lld: log p %.4f -> %.4f, rank %lld -> %lld\n", static_cast<long long>(*s.target),
                s.target_logprob_clean, s.target_logprob_changed, static_cast<long long>(s.target_rank_clean),
                static_cast<long long>(s.target_rank_changed));
  }
  if (o.target_text) print_text_target_shift(o, model, tokens, *tokenizer);
  if (target_span) print_span_target_shift(clean.logits, changed.logits, tokens, *target_span, *tokenizer);
}

int command_run(const CliOptions& o) {
  const LoadOptions load{o.device, o.dtype, {}};
  auto model = Model::load(o.model, load);
  std::unique_ptr<Model> model_b;
  if (!o.model_b.empty()) model_b = Model::load(o.model_b, load);

  std::vector<Token> tokens;
  std::string text;
  if (o.token_ids) {
    tokens = tokens_from_ids(*o.token_ids);
  } else {
    text = o.prompt ? *o.prompt : read_text_file(*o.prompt_file, "prompt file");
    tokens = encode_prompt(*tokenizer_for_model(o.model, model->info().vocab_size), text);
  }
  int64_t context = model->info().max_positions;
  if (model_b) context = std::min(context, model_b->info().max_positions);
  if (o.truncate && static_cast<int64_t>(tokens.size()) > context) {
    std::cerr << "note: keeping the first " << context << " of " << tokens.size() << " tokens (--truncate)\n";
    tokens.resize(static_cast<size_t>(context));
  }
  const std::optional<TokenSpan> target_span = target_in_prompt(o, tokens, text);
  CaptureRequest request = request_for(o, tokens, model->info());
  request.interventions = o.interventions;
  std::optional<CaptureRequest> request_b;
  if (model_b) request_b = request_for(o, tokens, model_b->info());  // checks the selection against B before A runs

  if (!o.interventions.empty()) request.logits = true;  // the next-token shift reads the last row
  AttentionSnapshot snap = model->run(tokens, request);
  fetch_windows(o, snap);
  std::cout << tokens.size() << " tokens";
  if (request.span) std::cout << ", span = tokens [" << request.span->begin << ", " << request.span->end << ")";
  std::cout << "\n";
  if (!o.interventions.empty()) print_prediction_shift(o, *model, tokens, snap, target_span);
  if (!model_b) {
    for (const auto& line : layer_table(snap)) std::cout << line << "\n";
    write_outputs(o, snap, "");
    return 0;
  }
  AttentionSnapshot snap_b = model_b->run(tokens, *request_b);
  fetch_windows(o, snap_b);
  print_side_by_side(layer_table(snap), layer_table(snap_b));
  write_outputs(o, snap, "");
  write_outputs(o, snap_b, ".b");
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Times the engine the ways a user meets it (docs/benchmarks.md): the forward alone; statistics of every head with
// overviews of every map (the store kept for windows); that plus one head's whole map at full resolution, streamed
// to the host in windows of rows; and a 1024 x 1024 window fetched after the run. Each line: the median time, the
// peak device memory beyond what the model held before (CUDA), and the result's host size. A `BENCH {...}` JSON line
// repeats them for scripts.
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
  const int64_t T = o.bench_tokens;
  const bool diff = info.kind == AttentionKind::Differential;
  const MapKind kind = diff ? MapKind::Diff : MapKind::Standard;
  const int layer = info.num_layers / 2;

  CaptureRequest none;
  none.maps = CaptureRequest::Maps::None;
  none.logits = false;
  none.statistics = false;
  none.overviews = false;
  none.keep_store = false;
  CaptureRequest stats = none;
  stats.statistics = true;
  stats.overviews = true;
  stats.keep_store = true;
  stats.span = TokenSpan{T / 2, T / 2 + 1};  // signal/noise on the last row, as a user with a marked span

  // One head's whole map, a band of rows at a time (at 32K tokens the map is 4 GiB: it is streamed, not kept).
  // As the CLI's PNG export does: one Matrix reused band after band.
  auto stream_full_head = [&](const AttentionSnapshot& snap) {
    const int64_t band = std::max<int64_t>(1, (int64_t{1} << 26) / T);
    Matrix cells;
    for (int64_t r = 0; r < T; r += band) {
      MapWindow w;
      w.layer = layer;
      w.kind = kind;
      w.head = 0;
      w.row_begin = r;
      w.row_end = std::min(T, r + band);
      snap.store->window_into(w, cells);
    }
  };
  MapWindow corner;  // the last 1024 rows and keys: the most expensive window (rows see every key)
  corner.layer = layer;
  corner.kind = kind;
  corner.head = 0;
  corner.row_begin = std::max<int64_t>(0, T - 1024);
  corner.col_begin = std::max<int64_t>(0, T - 1024);

  std::cout << "bench " << info.name << " (" << info.model_type << ", " << info.num_parameters << " parameters) on "
            << info.device << " in " << info.compute_dtype << ", " << T << " tokens, median of " << o.bench_runs
            << " runs after 1 warm-up\n";
  // A keystroke at the end of the prompt: the runs alternate between the prompt without its last token and the whole
  // prompt, reusing the previous run's rows (model.h RunCache) as the app does.
  RunCache cache;
  const std::vector<Token> shorter(tokens.begin(), tokens.end() - (T > 1 ? 1 : 0));
  bool short_next = true;
  auto run_key = [&] {
    short_next = !short_next;
    return model->run(short_next ? shorter : tokens, stats, {}, &cache);
  };
  // A prompt of a length not run before (a paste, or an edit the cache cannot reuse): each run is a full run at a new
  // length, so it includes what a backend builds once per shape (cuDNN's attention plans).
  int64_t cut = 1;
  auto run_new_length = [&] {
    cut = std::min<int64_t>(cut + 1, T - 1);
    return model->run(std::vector<Token>(tokens.begin(), tokens.end() - cut), stats);
  };
  struct Mode {
    const char* name;
    std::function<AttentionSnapshot()> run;
  };
  const Mode modes[] = {
      {"forward only", [&] { return model->run(tokens, none); }},
      {"stats+overviews", [&] { return model->run(tokens, stats); }},
      {"+ one full head", [&] {
         AttentionSnapshot snap = model->run(tokens, stats);
         stream_full_head(snap);
         return snap;
       }},
      {"stats, 1 key (reuse)", run_key},
      {"stats, new length", run_new_length},
  };
  double baseline = 0;
  for (const Mode& mode : modes) {
    (void)mode.run();  // warm-up: allocator, kernels, caches
    const int64_t before = model->device_memory().current;
    model->reset_peak_memory();
    std::vector<double> ms, free_ms;
    int64_t host_bytes = 0;
    for (int r = 0; r < o.bench_runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      std::optional<AttentionSnapshot> result = mode.run();
      host_bytes = snapshot_host_bytes(*result);
      const auto freeing = std::chrono::steady_clock::now();
      result.reset();  // part of the run's cost: the app frees the previous result at every keystroke
      const auto end = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      free_ms.push_back(std::chrono::duration<double, std::milli>(end - freeing).count());
    }
    const double m = median(ms);
    if (baseline == 0) baseline = m;
    const double peak = mib(model->device_memory().peak - before);
    std::printf("  %-20s %10.2f ms  (%.2fx of the forward)  peak device +%.0f MiB  result on host %.1f MiB, "
                "freed in %.2f ms\n",
                mode.name, m, m / baseline, peak, mib(host_bytes), median(free_ms));
    std::printf("BENCH {\"model\": \"%s\", \"tokens\": %lld, \"mode\": \"%s\", \"ms\": %.3f, "
                "\"peak_device_mib\": %.1f, \"host_mib\": %.2f, \"free_ms\": %.3f}\n",
                info.model_type.c_str(), static_cast<long long>(T), mode.name, m, peak, mib(host_bytes),
                median(free_ms));
  }
  if (o.bench_profile) {
    // One more statistics run with every stage waiting for the device at its edges (where the device's time goes),
    // and one with no waits (the host's time to queue each stage: a run whose stages add up to its time is bound by
    // the host; "waiting for the device at the end" is then the device's lead on the host, and "results to the host"
    // what the deferred results' helper thread still had to do after the device).
    // Then a keystroke's run (reusing the cache of the "1 key" mode) with the device waits.
    for (const int which : {0, 1, 2}) {
      const bool host_only = which == 1, key = which == 2;
      Model::set_profiling(true, host_only);
      const auto start = std::chrono::steady_clock::now();
      (void)(key ? run_key() : model->run(tokens, stats));
      const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      const std::map<std::string, double> stages = Model::take_profile();
      Model::set_profiling(false);
      double accounted = 0;
      const char* mode = key ? "key profile" : host_only ? "host profile" : "profile";
      std::printf("  %s of one %s run (%.2f ms%s):\n", mode, key ? "keystroke (reuse)" : "stats+overviews", total,
                  host_only ? "; each stage's time to queue it" : " with the stages' device waits");
      for (const auto& [name, ms] : stages) {
        // The helper thread's stages run beside the others: not a share of the run.
        if (name.rfind(Model::kHelperStagePrefix, 0) != 0) accounted += ms;
        std::printf("    %-42s %10.2f ms\n", name.c_str(), ms);
        std::printf("BENCH {\"model\": \"%s\", \"tokens\": %lld, \"mode\": \"%s\", \"stage\": \"%s\", "
                    "\"ms\": %.3f}\n",
                    info.model_type.c_str(), static_cast<long long>(T), mode, name.c_str(), ms);
      }
      std::printf("    %-42s %10.2f ms\n", "(the rest: embedding, RoPE tables, logits, snapshot)", total - accounted);
    }
  }
  // A window after the run: the store answers from the kept queries and keys.
  const AttentionSnapshot snap = model->run(tokens, stats);
  (void)snap.store->window(corner);
  std::vector<double> ms;
  for (int r = 0; r < std::max(o.bench_runs, 5); ++r) {
    const auto start = std::chrono::steady_clock::now();
    (void)snap.store->window(corner);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("  %-20s %10.2f ms  (store on device %.0f MiB)\n", "1024^2 window", median(ms),
              mib(snap.store->device_bytes()));
  std::printf("BENCH {\"model\": \"%s\", \"tokens\": %lld, \"mode\": \"window\", \"ms\": %.3f, "
              "\"store_mib\": %.1f}\n",
              info.model_type.c_str(), static_cast<long long>(T), median(ms), mib(snap.store->device_bytes()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_results_in_heap();  // runs in a row (bench, soak, eval) reuse the last result's memory
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << cli_usage();
    return args.empty() ? 2 : 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  // `diffscope-cli run --help` and the like: the usage, as for `diffscope-cli --help` (tokenize, scan, soak and
  // eval-interventions print their own). Only as the command's sole argument: `--prompt --help` is a prompt.
  const bool wants_help = rest.size() == 1 && (rest[0] == "--help" || rest[0] == "-h");
  if (wants_help && (args[0] == "run" || args[0] == "bench" || args[0] == "generate" || args[0] == "eval-retrieval")) {
    std::cout << cli_usage();
    return 0;
  }
  if (args[0] == "tokenize") return command_tokenize(rest);
  if (args[0] == "eval-retrieval") return command_eval_retrieval(rest);
  if (args[0] == "eval-interventions") return command_eval_interventions(rest);
  if (args[0] == "generate") return command_generate(rest);
  if (args[0] == "scan") return command_scan(rest);
  if (args[0] == "soak") return command_soak(rest);
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
