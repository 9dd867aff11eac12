// Writes snapshots to safetensors, JSON, CSV and PNG files. Any thread (reads an immutable snapshot).
#include "export.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "colormap.h"
#include "errors.h"
#include "heatmap_png.h"
#include "map_png_stream.h"
#include "safetensors.h"

namespace diffscope {
namespace {

using nlohmann::ordered_json;


// NaN (e.g. signal without a span) is written as null: JSON has no NaN.
ordered_json number_or_null(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json stats_object(const HeadStats& s) {
  return ordered_json{{"entropy", number_or_null(s.entropy)},        {"sink_mass", number_or_null(s.sink_mass)},
                      {"max_attention", number_or_null(s.max_attention)}, {"distance", number_or_null(s.distance)},
                      {"signal", number_or_null(s.signal)},          {"noise", number_or_null(s.noise)},
                      {"noise_abs", number_or_null(s.noise_abs)}};
}

ordered_json outliers_object(const OutlierStats& s) {
  return ordered_json{{"top1", s.top1}, {"top10", s.top10}, {"median", s.median}};
}

}  // namespace

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw FileError("cannot write " + path + ": " + std::strerror(errno));
    out << text;
    if (!out) throw FileError("cannot write " + path + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw FileError("cannot write " + path + ": " + std::strerror(errno));
  }
}

void write_maps_safetensors(const std::string& path, const AttentionSnapshot& snap) {
  // Stacked copies live here until the file is written.
  std::vector<std::vector<float>> buffers;
  std::vector<TensorToWrite> tensors;
  std::map<std::string, std::string> metadata{{"model", snap.model.path}, {"model_type", snap.model.model_type},
                                              {"format", "diffscope-maps-1"}};
  buffers.reserve(snap.layers.size() * 4 + 1);
  if (!snap.logits.empty()) {
    tensors.push_back({"logits", DType::F32, {snap.logits.rows, snap.logits.cols}, snap.logits.values.data()});
  }
  if (snap.map_window) {
    const MapWindowInfo& w = *snap.map_window;
    metadata["window"] = "rows " + std::to_string(w.row_begin) + ":" + std::to_string(w.row_end) + " keys " +
                         std::to_string(w.col_begin) + ":" + std::to_string(w.col_end) + " pool " +
                         std::to_string(w.pool);
  }
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    const LayerCapture& layer = snap.layers[i];
    const std::string prefix = "layer." + std::to_string(i) + ".";
    if (const int64_t window = window_of_layer(snap.model, static_cast<int>(i)); window > 0) {
      metadata[prefix + "sliding_window"] = std::to_string(window);  // keys j <= i - W are masked, not weight 0
    }
    for (MapKind kind : map_kinds_of(snap.model)) {
      // The captured heads of this layer, stacked; when not every head was captured, metadata names them.
      const std::vector<Matrix>& maps = layer.maps(kind);
      std::vector<size_t> heads;
      for (size_t h = 0; h < maps.size(); ++h) {
        if (!maps[h].empty()) heads.push_back(h);
      }
      if (heads.empty()) continue;
      const Matrix& first = maps[heads.front()];
      std::vector<float> stacked;
      stacked.reserve(heads.size() * first.values.size());
      std::string head_list;
      for (size_t h : heads) {
        stacked.insert(stacked.end(), maps[h].values.begin(), maps[h].values.end());
        head_list += (head_list.empty() ? "" : ",") + std::to_string(h);
      }
      if (heads.size() != maps.size()) metadata[prefix + "heads"] = head_list;
      buffers.push_back(std::move(stacked));
      tensors.push_back({prefix + map_kind_name(kind), DType::F32,
                         {static_cast<int64_t>(heads.size()), first.rows, first.cols}, buffers.back().data()});
    }
    if (snap.model.kind == AttentionKind::Differential) {
      tensors.push_back({prefix + "lambda", DType::F32, {layer.lambda.rows, layer.lambda.cols},
                         layer.lambda.values.data()});
    }
    if (!layer.rollout.empty()) {
      tensors.push_back({prefix + "rollout", DType::F32, {layer.rollout.rows, layer.rollout.cols},
                         layer.rollout.values.data()});
    }
  }
  write_safetensors(path, tensors, metadata);
}

std::string stats_json(const AttentionSnapshot& snap) {
  const ModelInfo& m = snap.model;
  ordered_json root;
  root["model"] = {{"path", m.path},
                   {"name", m.name},
                   {"model_type", m.model_type},
                   {"attention", m.kind == AttentionKind::Differential ? "differential" : "standard"},
                   {"num_layers", m.num_layers},
                   {"num_heads", m.num_heads},
                   {"num_attention_heads", m.num_sub_heads},
                   {"num_key_value_heads", m.num_kv_heads},
                   {"head_dim", m.head_dim},
                   {"hidden_size", m.hidden_size},
                   {"vocab_size", m.vocab_size},
                   {"num_parameters", m.num_parameters},
                   {"weight_dtype", m.weight_dtype},
                   {"compute_dtype", m.compute_dtype},
                   {"device", m.device}};
  ordered_json tokens = ordered_json::array();
  for (const Token& t : snap.tokens) tokens.push_back({{"id", t.id}, {"text", t.text}, {"bytes", {t.byte_begin, t.byte_end}}});
  root["tokens"] = tokens;
  const CaptureRequest& r = snap.request;
  if (!r.interventions.empty()) {  // the run was changed: say how, so the numbers are not mistaken for the model's
    ordered_json specs = ordered_json::array();
    for (const Intervention& iv : r.interventions) specs.push_back(intervention_spec(iv));
    root["interventions"] = specs;
  }
  ordered_json region;
  region["span"] = r.span ? ordered_json{r.span->begin, r.span->end} : ordered_json(nullptr);
  region["context"] = r.context ? ordered_json{r.context->begin, r.context->end} : ordered_json("all keys of each row");
  region["query_rows"] = r.query_rows.empty() ? ordered_json{static_cast<int64_t>(snap.tokens.size()) - 1}
                                              : ordered_json(r.query_rows);
  root["signal_noise_region"] = region;
  root["conventions"] = {
      {"entropy", "mean over rows i >= 1 of -sum_j a_ij log a_ij / log(i + 1)"},
      {"sink_mass", "mean over rows of a_i0"},
      {"max_attention", "mean over rows of max_j a_ij"},
      {"distance", "mean over rows of sum_j a_ij |i - j|"},
      {"signal", "mean over query rows of the sum over the span"},
      {"noise", "mean over query rows of the sum over the context minus the span"},
      {"noise_abs", "mean over query rows of the sum of |a_ij| over the context minus the span (= noise for softmax)"},
      {"diff", "D = A1 - lambda A2 is signed: sink_mass, distance, signal, noise are signed sums; entropy and "
               "max_attention use the positive part of each row renormalized to 1"},
      {"outliers", "top1, 10th largest and median of |attention logits| (causal entries) and |hidden states|"}};
  ordered_json layers = ordered_json::array();
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    const LayerCapture& layer = snap.layers[i];
    ordered_json l;
    l["layer"] = i;
    if (m.kind == AttentionKind::Differential) {
      l["lambda"] = layer.mean_lambda();
      l["lambda_init"] = layer.lambda_init;
    }
    l["attn_logits"] = outliers_object(layer.attn_logits);
    l["hidden_states"] = outliers_object(layer.hidden_states);
    for (MapKind kind : map_kinds_of(m)) {
      ordered_json heads = ordered_json::array();
      for (const HeadStats& s : layer.stats(kind)) heads.push_back(stats_object(s));
      l[map_kind_name(kind)] = heads;
    }
    layers.push_back(l);
  }
  root["layers"] = layers;
  return root.dump(2);
}

void write_stats_json(const std::string& path, const AttentionSnapshot& snap) { write_text_file(path, stats_json(snap) + "\n"); }

void write_stats_csv(const std::string& path, const AttentionSnapshot& snap) {
  std::string csv = "layer,head,map,entropy,sink_mass,max_attention,distance,signal,noise,noise_abs,lambda\n";
  auto cell = [](double v) { return std::isfinite(v) ? std::to_string(v) : std::string(); };
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    const LayerCapture& layer = snap.layers[i];
    for (MapKind kind : map_kinds_of(snap.model)) {
      const auto& stats = layer.stats(kind);
      for (size_t h = 0; h < stats.size(); ++h) {
        const HeadStats& s = stats[h];
        csv += std::to_string(i) + "," + std::to_string(h) + "," + map_kind_name(kind) + "," + cell(s.entropy) + "," +
               cell(s.sink_mass) + "," + cell(s.max_attention) + "," + cell(s.distance) + "," + cell(s.signal) + "," +
               cell(s.noise) + "," + cell(s.noise_abs) + "," +
               (snap.model.kind == AttentionKind::Differential ? cell(layer.mean_lambda()) : std::string()) + "\n";
      }
    }
  }
  write_text_file(path, csv);
}

void create_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw FileError("cannot create the folder " + dir + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) throw FileError("cannot create the folder " + dir + ": a file has that name");
}

void create_parent_folder(const std::string& file) {
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty()) create_folder(parent.string());
}

namespace {

std::string map_png_path(const std::string& dir, int64_t layer, int64_t head, MapKind kind) {
  return dir + "/layer" + std::to_string(layer) + "_head" + std::to_string(head) + "_" + map_kind_name(kind) + ".png";
}

}  // namespace

std::vector<MapPngTask> map_png_tasks(const std::string& dir, const ModelInfo& model, const std::vector<HeadRef>& heads,
                                      const MapWindow& shape, const PngSelection& selection) {
  std::vector<MapPngTask> tasks;
  for (const HeadRef& ref : heads) {
    for (MapKind kind : map_kinds_of(model)) {
      MapPngTask task;
      task.window = shape;
      task.window.layer = ref.layer;
      task.window.kind = kind;
      task.window.head = ref.head;
      task.options.signed_map = kind == MapKind::Diff;
      task.options.colormap = task.options.signed_map ? Colormap::RdBu : Colormap::Viridis;
      task.options.hide_sink = selection.hide_sink;
      task.options.cell_pixels = selection.cell_pixels;
      task.options.window = window_of_layer(model, ref.layer);
      task.path = map_png_path(dir, ref.layer, ref.head, kind);
      tasks.push_back(std::move(task));
    }
  }
  return tasks;
}

bool write_map_png_task(const MapStore& store, const MapPngTask& task, const std::function<bool(double)>& progress) {
  if (can_stream_map_png()) return stream_map_png(store, task.window, task.path, task.options, progress);
  // A build without libpng: the window whole in memory, written by stb, up to kMaxHeatmapSide pixels a side (larger
  // ones are refused with advice).
  const Matrix map = store.window(task.window);
  // Cells are tokens on the diagonal (row i of the image is query row_begin + i, column j key col_begin + j, with
  // row_begin == col_begin): the causal mask and a sliding window fall where they do in the whole map.
  const bool diagonal = task.window.pool == 1 && task.window.row_begin == task.window.col_begin && map.rows == map.cols;
  const int64_t window = diagonal && task.window.head != kRollout ? task.options.window : 0;
  HeatmapImageOptions whole;
  whole.colormap = task.options.colormap;
  whole.scale = auto_scale(map, task.options.signed_map, task.options.hide_sink, window);
  if (task.options.adjust_scale) whole.scale = task.options.adjust_scale(whole.scale);
  whole.cell_pixels = task.options.cell_pixels;
  whole.shade_masked = task.options.shade_masked && diagonal;
  whole.mask.window = window;
  write_heatmap_png(task.path, map, whole);
  return true;
}

std::vector<std::string> stream_map_pngs(const std::string& dir, const AttentionSnapshot& snap,
                                         const std::vector<HeadRef>& heads, const MapWindow& shape,
                                         const PngSelection& selection) {
  if (!snap.store) throw InputError("PNG export: this run kept no store of its maps (CaptureRequest::keep_store)");
  create_folder(dir);
  std::vector<std::string> written;
  for (const MapPngTask& task : map_png_tasks(dir, snap.model, heads, shape, selection)) {
    write_map_png_task(*snap.store, task);
    written.push_back(task.path);
  }
  return written;
}

std::vector<std::string> write_map_pngs(const std::string& dir, const AttentionSnapshot& snap,
                                        const PngSelection& selection) {
  create_folder(dir);
  std::vector<std::string> written;
  for (size_t i = 0; i < snap.layers.size(); ++i) {
    if (selection.layer && *selection.layer != static_cast<int>(i)) continue;
    for (MapKind kind : map_kinds_of(snap.model)) {
      const std::vector<Matrix>& maps = snap.layers[i].maps(kind);
      for (size_t h = 0; h < maps.size(); ++h) {
        if (selection.head && *selection.head != static_cast<int>(h)) continue;
        if (maps[h].empty()) continue;
        const bool signed_map = kind == MapKind::Diff;
        HeatmapImageOptions options;
        options.colormap = signed_map ? Colormap::RdBu : Colormap::Viridis;
        // A window of the map (CLI --rows/--cols) is not on the diagonal: only whole maps get the layer's window.
        options.mask.window = snap.map_window ? 0 : window_of_layer(snap.model, static_cast<int>(i));
        options.scale = auto_scale(maps[h], signed_map, selection.hide_sink, options.mask.window);
        options.cell_pixels = selection.cell_pixels;
        const std::string path = map_png_path(dir, static_cast<int64_t>(i), static_cast<int64_t>(h), kind);
        write_heatmap_png(path, maps[h], options);
        written.push_back(path);
      }
    }
  }
  return written;
}

}  // namespace diffscope
