// Writes a snapshot to files: maps as safetensors (the names Python users load), statistics as JSON and CSV, and
// one heatmap PNG per layer/head/map. Plain C++; any thread (reads an immutable snapshot). Throws FileError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "map_png_stream.h"
#include "snapshot.h"

namespace diffscope {

// `logits` [T, V]; standard: `layer.{i}.attn` [H, T, T]; Diff: `layer.{i}.attn1`, `layer.{i}.attn2`,
// `layer.{i}.diff` [H/2, T, T] and `layer.{i}.lambda` [H/2, T]; `layer.{i}.rollout` [T, T] when it was captured; all
// float32. Only the captured heads of a layer are stacked: when they are not all of them, metadata
// `layer.{i}.heads` lists them ("0,3"); when the maps are windows, metadata `window` says which
// ("rows A:B keys C:D pool N") and the last two dimensions are the window's. A sliding-window layer has metadata
// `layer.{i}.sliding_window` = W: its maps hold 0 at keys j <= i - W, which the layer masks (HF's band).
void write_maps_safetensors(const std::string& path, const AttentionSnapshot& snapshot);

// Creates `dir` and its parents (nothing when it exists); FileError naming the folder and why when it cannot, or when
// the path is a file. create_parent_folder does it for the folder a file will be written into.
// Writes `text` to `path` through a temporary file renamed over it (a reader never sees half a file). Throws FileError.
void write_text_file(const std::string& path, const std::string& text);

void create_folder(const std::string& dir);
void create_parent_folder(const std::string& file);

// The model description, tokens (text, byte span) and per layer/head every statistic (REFERENCE.md names), with
// lambda and lambda_init per layer. Indented JSON text.
std::string stats_json(const AttentionSnapshot& snapshot);
void write_stats_json(const std::string& path, const AttentionSnapshot& snapshot);

// One row per layer/head/map kind: layer,head,map,entropy,sink_mass,max_attention,distance,signal,noise,noise_abs,
// lambda.
void write_stats_csv(const std::string& path, const AttentionSnapshot& snapshot);

// Which maps write_map_pngs writes: empty optionals mean all.
struct PngSelection {
  std::optional<int> layer;
  std::optional<int> head;
  int cell_pixels = 1;
  bool hide_sink = false;  // leave column 0 out of the colour scale
};

// Writes `dir`/layer{L}_head{H}_{attn|attn1|attn2|diff}.png for every captured map in the selection (viridis for
// softmax maps, a diverging map centred on 0 for D). Creates `dir` if needed. Returns the paths written.
std::vector<std::string> write_map_pngs(const std::string& dir, const AttentionSnapshot& snapshot,
                                        const PngSelection& selection = {});

// The same files for the heads `heads` of a run kept as a store (CaptureRequest::keep_store), whatever the prompt's
// length: each map streamed band by band (map_png_stream.h) over `shape`'s rows, keys and pool (its layer, kind
// and head are set per file). Throws InputError when the snapshot has no store.
std::vector<std::string> stream_map_pngs(const std::string& dir, const AttentionSnapshot& snapshot,
                                         const std::vector<HeadRef>& heads, const MapWindow& shape,
                                         const PngSelection& selection = {});

// One file of stream_map_pngs: the map's window, its path and how it is drawn. The app runs these on its own thread
// (one after the other, with progress and Cancel).
struct MapPngTask {
  MapWindow window;
  std::string path;
  MapPngOptions options;
};
// The files stream_map_pngs writes, in its order, without writing them (nor creating `dir`).
std::vector<MapPngTask> map_png_tasks(const std::string& dir, const ModelInfo& model, const std::vector<HeadRef>& heads,
                                      const MapWindow& shape, const PngSelection& selection = {});
// Writes one task's file from `store`: streamed band by band, or, in a build without libpng, the window whole in
// memory through stb (up to kMaxHeatmapSide pixels a side). `progress` as stream_map_png's (not called by the stb
// path). Returns false when stopped.
bool write_map_png_task(const MapStore& store, const MapPngTask& task, const std::function<bool(double)>& progress = {});

}  // namespace diffscope
