// The inference threads: own the models of the app's slots (A: Diff model, B: standard model), run the latest prompt
// through both and publish immutable snapshots; one thread per slot (so a slot on a GPU answers while the other runs,
// loads or generates), and a window thread that serves windows of the published maps. Public methods may be called
// from any thread (the UI calls them every frame); they never wait for inference.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "head_scan.h"
#include "intervention.h"
#include "slot_model.h"
#include "snapshot.h"
#include "what_if.h"

namespace diffscope {

constexpr int kNumSlots = 2;  // slot 0 = "A", slot 1 = "B"

// The clock of SlotState::started_seconds: std::chrono::steady_clock in seconds. Any thread.
double steady_seconds();

// What to run. The newest request replaces any that has not started, and stops a run in progress between layers.
struct RunRequest {
  std::string text;                              // the prompt; with `tokens`, the text whose bytes their spans index
  std::optional<std::vector<int64_t>> token_ids; // ids given directly (spans are positions; text is not used)
  // Tokens a model produced (a continuation: the prompt as it ran, then the generated ids). Slots whose tokenizer is
  // `tokens_tokenizer` (SlotModel::tokenizer_id) run them as they are, so the maps belong to the generated ids; other
  // slots tokenize `text`.
  std::optional<std::vector<Token>> tokens;
  std::string tokens_tokenizer;
  std::optional<std::pair<int64_t, int64_t>> span_bytes;  // relevant span as prompt byte offsets [begin, end)
  CaptureRequest capture;                        // which maps; capture.span is filled from span_bytes per model
  int continue_tokens = 0;  // > 0: instead of a run, continue the prompt greedily by this many tokens with the first
                            // loaded slot (A, else B) and publish the result in that slot's `continuation` fields
  // The submitter's number for the prompt this request runs (the same for reruns of one prompt with another span or
  // other maps): the snapshot or the error it leads to carries it back (SlotState::snapshot_prompt_id and
  // failed_prompt_id), so the UI can tell a result of the current prompt from one of an older prompt.
  uint64_t prompt_id = 0;
  // Keep the first tokens that fit each model's context (max_position_embeddings) instead of refusing a longer prompt,
  // as the CLI's --truncate; the slot's message then says how many ran.
  bool truncate = false;
  // > 0: the worker decides when the run starts, from its token count and the models loaded then, whether it captures
  // every map densely with the logits (capture.maps = All, capture.logits) or only what `capture` asks besides
  // (statistics, overviews, the store): dense while dense_map_bytes of every loaded slot's model stays within this
  // many bytes. Only the worker knows both: the submitter may not know the token count or a model still loading.
  // 0: `capture` as given.
  int64_t dense_maps_budget = 0;
  // What-if (issue 14, what_if.h): per slot, interventions run after the clean run (empty: no what-if run), and the
  // answer text whose log-probability the what-if reports (empty: the clean run's most likely next token).
  std::array<std::vector<Intervention>, kNumSlots> interventions;
  std::string target_text;
  // The what-if's target is the span (span_bytes, as the run's tokens overlap it) instead of target_text.
  bool target_is_span = false;
};

// A head-effect scan (head_scan.h) of one slot's model on a prompt: queued by InferenceWorker::scan.
struct ScanRequest {
  int slot = 0;
  RunRequest prompt;        // the prompt as a run request gives it (text, tokens, truncate, prompt_id)
  std::string target_text;  // the answer whose log-probability is scored; empty: the clean run's next token
  HeadScanOptions options;
};

// Bytes of every dense map of every head of `models` for a prompt of `tokens` tokens (Diff heads: A1, A2, D), with the
// logits [T, V] that dense runs copy too.
int64_t dense_map_bytes(const std::vector<ModelInfo>& models, int64_t tokens);

// What the UI shows for one slot. A copy: safe to keep.
struct SlotState {
  enum class Phase { Empty, Loading, Ready, Failed };
  Phase phase = Phase::Empty;
  std::string model_dir;
  std::string message;               // progress or status text, or the error of the last load/run
  std::string error;                 // the error of the last load/run; empty when it succeeded
  // The error of the last load when it failed while the slot held a model: the slot keeps that model (and its
  // snapshot) and stays Ready; cleared by the next load.
  std::string load_error;
  std::optional<ModelInfo> info;     // set once loaded
  std::string tokenizer_id;          // SlotModel::tokenizer_id of the loaded model
  SnapshotPtr snapshot;              // latest result (may be from an older request while a new one runs)
  uint64_t sequence = 0;             // grows with every published snapshot of this slot
  uint64_t snapshot_prompt_id = 0;   // RunRequest::prompt_id of the request `snapshot` answers (0: no snapshot)
  uint64_t failed_prompt_id = 0;     // RunRequest::prompt_id of the last run that failed with `error`
  bool running = false;              // a run or a generation for this slot is in progress
  // How far the load, run or generation in progress is, 0..1 (loads: as the loader reports; runs: layers queued of the
  // model's layers; generations: layers of the prompt and the steps), -1 when nothing is in progress.
  float progress = -1;
  // When the load, run or generation in progress began, in steady_seconds() (0: none), so the UI can show how long
  // it has taken.
  double started_seconds = 0;
  uint64_t runs_cancelled = 0;       // runs and generations of this slot stopped for a newer request (not published)
  // The last continue request this slot answered: the bytes generated, and the continued prompt (the request's text
  // followed by them) with its tokens: the prompt's as the model ran them, then the generated ids (an end-of-sequence
  // token ends the text and is not included). Submit `continued_tokens` as RunRequest::tokens with
  // `continued_tokenizer` so the next run uses these ids rather than a new tokenization of the text.
  std::string continuation;
  std::string continued_text;
  std::vector<Token> continued_tokens;
  std::string continued_tokenizer;
  uint64_t continuation_sequence = 0;  // grows with every continuation published
  // What the last continuation did, e.g. "generated 5 of 8 tokens: the context of 1024 tokens is full" (the slot's
  // `message` is replaced by the run that follows; this stays with the continuation).
  std::string continuation_message;
  // The what-if run (RunRequest::interventions) answering the same request as `snapshot`: null when none was asked or
  // it failed (what_if_error says why; the clean snapshot is still shown).
  WhatIfPtr what_if;
  std::string what_if_error;
  // The last head-effect scan of this slot (ScanRequest), its message (what it did or why it failed), and whether one
  // is in progress (then `running` and `progress` are the scan's).
  std::shared_ptr<const HeadScan> scan;
  uint64_t scan_prompt_id = 0;  // ScanRequest::prompt.prompt_id of `scan`
  uint64_t scan_sequence = 0;   // grows with every scan published or failed
  std::string scan_message;
  std::string scan_error;
  bool scanning = false;
};

// A window of one map of a slot's published snapshot (`sequence`: SlotState::sequence of the snapshot the view shows).
struct WindowRequest {
  int slot = 0;
  uint64_t sequence = 0;
  MapWindow window;
};

struct WindowResult {
  WindowRequest request;
  Matrix map;               // ceil(rows / pool) x ceil(cols / pool) cells (MapStore::window)
  bool superseded = false;  // the slot no longer shows that snapshot: ask again for the one it shows
  std::string error;        // why there is no map (superseded, a window the engine refused, no store, stopping)
  bool ok() const { return error.empty(); }
};

class InferenceWorker {
 public:
  // `load_model` loads a folder into a slot (the app passes load_torch_slot_model, tests a fake). `wake_ui` is called
  // (from the worker's threads, with no lock held) whenever a state changes or a window is ready; the app passes
  // glfwPostEmptyEvent.
  explicit InferenceWorker(SlotModelLoader load_model, std::function<void()> wake_ui = {});
  ~InferenceWorker();  // stops every thread: a run or load in progress is cancelled, queued windows are answered
  InferenceWorker(const InferenceWorker&) = delete;
  InferenceWorker& operator=(const InferenceWorker&) = delete;

  // Queue a model load into `slot`: it replaces a load of the slot that is queued or in progress (which stops at its
  // next progress report), and stops a run of the slot. Only once it has loaded does it replace the model there (and
  // run the latest request on it). A failure is kept in `error` and `load_error`: a slot that held a model keeps it,
  // its folder and its snapshot and stays Ready; an empty slot becomes Failed. An empty `dir` unloads the slot.
  void load(int slot, const std::string& dir, const LoadOptions& options = {});
  // Queue a run on every loaded slot (or, with continue_tokens, a continuation); the latest request wins: a request
  // not started is dropped, a run or generation in progress stops at its next layer and is not published.
  void submit(const RunRequest& request);
  // A window of a published map, computed on the window thread (so it never waits for a run or a load); the future
  // is ready once it is computed or refused.
  std::future<WindowResult> request_window(const WindowRequest& request);
  // The user's Cancel. cancel_load: a load of `slot` queued or in progress stops (at its next progress report); the
  // slot keeps the model it held (an empty slot stays empty) and says the load was cancelled. cancel_run: the run or
  // generation in progress stops at its next layer and is not published, the request is dropped (no slot runs it,
  // also not after a load), and the slots say so; the next submit() runs again.
  void cancel_load(int slot);
  void cancel_run();
  // Queue a head-effect scan of a slot's model (once that slot has run the latest request); it replaces a scan not
  // started. Stopped like a run: by cancel_run() and by a newer submit(). The result lands in SlotState::scan.
  void scan(const ScanRequest& request);
  SlotState state(int slot) const;
  bool idle() const;  // nothing queued and nothing running (windows not counted)
  // SlotModel::device_memory of the slot's model (zeros when it holds none): allocated now and the peak since start,
  // per device (slots on one GPU report the same numbers).
  Model::DeviceMemory device_memory(int slot) const;

 private:
  struct Slot;
  struct PendingWindow {
    WindowRequest request;
    std::promise<WindowResult> promise;
  };
  void slot_thread_main(int slot);
  void window_thread_main();
  // Steps of slot_thread_main: each is called with `lock` held and returns with it held; what they replace (models,
  // snapshots) is destroyed while it is not held, so a UI thread's state() never waits for a destructor.
  void load_slot(int slot, std::unique_lock<std::mutex>& lock);
  void continue_prompt(int slot, std::unique_lock<std::mutex>& lock);
  void run_slot(int slot, std::unique_lock<std::mutex>& lock);
  void scan_slot(int slot, std::unique_lock<std::mutex>& lock);
  // What a slot's thread may do next (all with mutex_ held).
  int next_load() const;  // a slot with a queued load, or -1
  int next_run() const;   // a loaded slot whose snapshot does not answer the latest request, or -1
  // The slot that answers the queued continuation: the first Ready slot once no load is queued or in progress; -1
  // while loads are, or when there is no continuation or no slot that could ever answer it.
  int continuation_slot() const;
  bool continuation_unanswerable() const;  // queued, no load queued or in progress, no Ready slot: it is dropped
  // Whether `slot` may start compute (a run or a generation) now: models on the CPU take turns, slot A first (two runs
  // on the same cores would only share them, and the first result would come later); others run concurrently.
  bool may_compute(int slot) const;
  bool may_run(int slot) const;  // stale, Ready, not working, no load queued, and may_compute
  // Whether `slot`'s queued load may start now: folders load one at a time, slot A first (two 1B-parameter loads at
  // once held both checkpoints' host copies: 5 GB of RSS on the GPU machine instead of 3, and neither model came
  // sooner); unloading (an empty folder) never waits.
  bool may_load(int slot) const;
  // A snapshot with dense maps that the latest request's dense_maps_budget no longer allows, counting every model
  // loaded now (it ran while the other slot's model loaded): its slot runs again.
  bool dense_past_budget(const AttentionSnapshot& snapshot) const;
  std::vector<ModelInfo> loaded_models() const;  // the info of every slot's model
  // The queued scan is this slot's and may start: its model loaded and its run of the latest request done (a slot
  // with no model answers at once).
  bool may_scan(int slot) const;
  std::vector<Token> tokens_for(const RunRequest& request, const SlotModel& model) const;
  // Marks `slot` running (and busy), releases `lock` (held on entry) and wakes the UI; returns its model.
  const SlotModel& begin_work(Slot& slot, std::unique_lock<std::mutex>& lock);
  // begin_work's end, with the lock held again: the slot is no longer running, and other slots' threads are woken
  // (one may have waited for the CPU).
  void end_work(Slot& slot);
  // The `should_stop` a run or generation of `slot` polls (a newer request, a load of the slot, the worker stopping);
  // each poll also sets the slot's progress to the polls so far out of `polls` and wakes the UI.
  std::function<bool()> progress_poll(Slot& slot, uint64_t generation, uint64_t ticket, int polls);
  WindowResult serve_window(const WindowRequest& request) const;
  void notify();

  SlotModelLoader load_model_;
  std::function<void()> wake_ui_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::optional<RunRequest> request_;           // the latest run request: what every loaded slot should answer
  std::optional<RunRequest> pending_continue_;  // a continue request not started yet
  std::optional<ScanRequest> pending_scan_;     // a head-effect scan not started yet
  uint64_t generation_ = 0;                     // bumped by submit(); guarded by mutex_
  std::atomic<uint64_t> latest_generation_{0};  // generation_, for stop checks without the lock
  std::atomic<bool> stopping_{false};
  int cpu_compute_ = 0;                         // runs and generations on the CPU in progress (guarded by mutex_)
  bool folder_loading_ = false;                 // a slot is loading a folder (guarded by mutex_; may_load)
  std::deque<PendingWindow> windows_;           // guarded by mutex_
  std::condition_variable windows_cv_;
  std::vector<std::thread> slot_threads_;
  std::thread window_thread_;
};

}  // namespace diffscope
