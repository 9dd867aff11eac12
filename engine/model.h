// A loaded Llama or DiffLlama checkpoint and its forward pass with attention capture. Public face of the LibTorch
// code: plain C++ only. Not thread-safe: one thread (the inference worker, or the CLI's main thread) owns a Model.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "head_scan.h"
#include "snapshot.h"

namespace diffscope {

struct LoadOptions {
  std::string device = "auto";  // "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N"
  std::string dtype = "f32";    // compute dtype: "f32", "bf16", "f16"
  std::function<void(float fraction, const std::string& what)> progress;  // called on the loading thread
};

// True when LibTorch sees a CUDA device.
bool cuda_available();

// Options of Model::generate: greedy (top_k = 0 and top_p = 1), or sampling with a temperature and a seed from the
// top_k most likely tokens (0: all) and, within those, the smallest set whose probability reaches top_p (nucleus), in
// HF's order: temperature, top-k, top-p.
struct GenerationOptions {
  int max_new_tokens = 16;
  int top_k = 0;
  double top_p = 1.0;
  double temperature = 1.0;
  uint64_t seed = 0;
  // Stop after producing one of these ids. Unset: the model's EOS ids (ModelInfo::eos_token_ids), as HF generate
  // does; an empty list: never stop early.
  std::optional<std::vector<int64_t>> stop_ids;
};

// One generated token and what each layer's heads attended to when it was fed back: `rows` holds, per layer, maps of
// one row (the new token's query) over every earlier key, and lambda [heads, 1]. The last step has no rows (its token
// is not fed back).
struct GenerationStep {
  int64_t id = 0;
  int64_t position = 0;  // its index in the sequence (prompt tokens first)
  std::vector<LayerCapture> rows;
};

// Why generation ended.
enum class StopReason { MaxNewTokens, StopId, Context };
const char* stop_reason_name(StopReason reason);  // "max-new-tokens", "stop-id", "context"

struct Generation {
  AttentionSnapshot prompt;  // the prompt's run, as Model::run gives it
  std::vector<GenerationStep> steps;
  StopReason stopped_by = StopReason::MaxNewTokens;
};

// What a run keeps so that the next run over a prompt that starts with the same tokens computes only the rows after
// them: an appended word at the end of a 32K-token prompt costs a few chunks of rows instead of the whole prompt
// (docs/incremental-runs.md). Owned by the caller, one per model (the app keeps one per slot); Model::run reads it and
// replaces what it holds. It holds device memory (every layer's queries, keys, values and per-row scan results):
// clear() gives it back. Used by the thread that owns the model.
struct RunCacheState;
class RunCache {
 public:
  RunCache();
  ~RunCache();
  RunCache(const RunCache&) = delete;
  RunCache& operator=(const RunCache&) = delete;
  void clear();
  int64_t tokens() const;  // the kept run's length (0: nothing kept)
  int64_t bytes() const;   // memory it holds

 private:
  friend class Model;
  std::unique_ptr<RunCacheState> state_;
};

class Model {
 public:
  // Loads config.json + model.safetensors (or its shards) from `dir`, and the EOS ids of generation_config.json.
  // Throws FileError / CheckpointError / InputError.
  static std::unique_ptr<Model> load(const std::string& dir, const LoadOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const;

  // Runs the tokens through the model and captures what `request` asks for. `should_stop` is polled between
  // layers; when it returns true the run throws Cancelled. Throws InputError for ids out of the vocabulary, an
  // empty sequence, or one longer than the model's context.
  AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                        const std::function<bool()>& should_stop = {}) const;
  // The same, reusing `cache`: when it holds a run of this model with the same settings (statistics, overviews and
  // their cell, the attention path) whose tokens begin like these, the rows before the last whole chunk both share
  // are taken from it (AttentionSnapshot::reused_tokens says how many) and only the rest is computed; the results
  // equal a full run's within the forward's rounding (the new rows attend to cached keys and values). Runs that ask
  // for dense maps, logits, rollout or interventions do not reuse and keep nothing. On success the cache holds this
  // run; on an error or a cancel it keeps what it held.
  AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                        const std::function<bool()>& should_stop, RunCache* cache) const;

  // The head-effect scan (head_scan.h): for every head, options.what applied to it alone; how the target's
  // log-probability (`answer` teacher-forced after `prompt`; empty: the clean run's next token), its first token's rank
  // and the next-token distribution after the prompt move. The clean forward runs once, keeping each layer's input;
  // then for each layer L, its heads' interventions run together as a batch (options.batch, or what fits
  // options.memory_budget_bytes) from that input through the last layer, with the final norm and lm_head only at the
  // scored rows: layers before L are never rerun. Throws InputError (an intervention that acts on Diff heads for a
  // standard model, a sequence longer than the context, ids outside the vocabulary) and Cancelled.
  HeadScan scan_heads(const std::vector<Token>& prompt, const std::vector<int64_t>& answer,
                      const HeadScanOptions& options, const std::function<bool()>& should_stop = {}) const;

  // The same with the target inside the prompt (span_target.h): the tokens [target.begin, target.end) of `prompt`,
  // each scored from the row before it in the one forward over the prompt (no teacher forcing); the rank is the span's
  // first token's, the KL still that of the next token after the prompt. Throws InputError as scan_heads, and for a
  // range that is not a target of the prompt (checked_target_tokens).
  HeadScan scan_heads_span(const std::vector<Token>& prompt, TokenSpan target, const HeadScanOptions& options,
                           const std::function<bool()>& should_stop = {}) const;

  // Memory the engine's device allocator holds for tensors (CUDA: current and peak since reset_peak_memory; zeros on
  // the CPU, where the process's RSS says it).
  struct DeviceMemory {
    int64_t current = 0, peak = 0;
  };
  DeviceMemory device_memory() const;
  void reset_peak_memory() const;

  // Per-stage wall time of runs (forward: attention, statistics: scan kernels, ...), for benchmarks: off by default;
  // when on, every stage waits for the device at its start and end, which slows runs a little. With `host_only`,
  // nothing waits: each stage is charged the host's time to queue it, and the wait for the device falls to the last
  // stage (results to the host), so a run whose stages add up to its time is bound by the host. take_profile returns
  // the milliseconds per stage accumulated since profiling was turned on or last taken, and clears them.
  // Stages named with this prefix are the helper thread's (the host's work on results after their copies, per kind,
  // and its waits for the copies); they run beside the others, so they are not a share of the run's time.
  static constexpr const char* kHelperStagePrefix = "helper thread: ";
  static void set_profiling(bool on, bool host_only = false);
  static std::map<std::string, double> take_profile();

  // Continues `prompt` by up to options.max_new_tokens tokens with a KV cache (stopping early at a stop id or the
  // context length), capturing for each fed-back token its attention rows as `request` asks (maps only).
  Generation generate(const std::vector<Token>& prompt, const GenerationOptions& options,
                      const CaptureRequest& request, const std::function<bool()>& should_stop = {}) const;

 private:
  // Both scans: `sequence` run once clean, target_ids scored at rows first_row.. (empty: the clean run's most likely
  // token at first_row), the KL at row prompt_tokens - 1.
  HeadScan scan_rows(const std::vector<Token>& sequence, int64_t prompt_tokens, int64_t first_row,
                     const std::vector<int64_t>& target_ids, const HeadScanOptions& options,
                     const std::function<bool()>& should_stop) const;
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diffscope
