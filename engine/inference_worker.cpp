// The inference thread behind the app: a mailbox where the latest run request wins, model loads per slot that replace
// each other, published snapshots, and a window thread that answers map windows of those snapshots. Public methods:
// any thread; slot_thread_main and its steps: that slot's thread; window_thread_main: the window thread.
#include "inference_worker.h"

#include <algorithm>
#include <chrono>

#include "errors.h"
#include "thread_priority.h"
#include "tokenizer.h"

namespace diffscope {

int64_t dense_map_bytes(const std::vector<ModelInfo>& models, int64_t tokens) {
  int64_t maps = 0, vocab = 0;
  for (const ModelInfo& info : models) {
    maps += int64_t{info.num_layers} * info.num_heads * static_cast<int64_t>(map_kinds_of(info).size());
    vocab += info.vocab_size;
  }
  return (maps * tokens + vocab) * tokens * 4;  // float32 maps and the logits [T, V] that come with them
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct InferenceWorker::Slot {
  SlotState state;                                                  // guarded by mutex_
  std::optional<std::pair<std::string, LoadOptions>> pending_load;  // guarded by mutex_
  bool stale = false;  // guarded by mutex_: the published snapshot does not answer request_ (newer request or model)
  bool busy = false;   // guarded by mutex_: its thread is loading, running or generating
  bool on_cpu = false; // guarded by mutex_: `model` computes on the CPU (its runs take turns with the other slot's)
  std::atomic<uint64_t> loads{0};    // bumped by load() (under mutex_): a load or run of this slot gives way
  // Replaced only by the worker thread, with mutex_ held (read under mutex_ by device_memory); set exactly while
  // state.phase is Ready (or Loading over it).
  std::unique_ptr<SlotModel> model;
  std::string loaded_dir;            // guarded by mutex_: the folder `model` came from (restored when a load fails)
};

InferenceWorker::InferenceWorker(SlotModelLoader load_model, std::function<void()> wake_ui)
    : load_model_(std::move(load_model)), wake_ui_(std::move(wake_ui)) {
  for (int i = 0; i < kNumSlots; ++i) slots_.push_back(std::make_unique<Slot>());
  for (int i = 0; i < kNumSlots; ++i) slot_threads_.emplace_back([this, i] { slot_thread_main(i); });
  window_thread_ = std::thread([this] { window_thread_main(); });
}

InferenceWorker::~InferenceWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  windows_cv_.notify_all();
  for (std::thread& t : slot_threads_) t.join();
  window_thread_.join();
  for (PendingWindow& w : windows_) {
    WindowResult result;
    result.request = w.request;
    result.error = "the inference worker stopped";
    w.promise.set_value(std::move(result));
  }
  windows_.clear();
  for (auto& slot : slots_) slot->model.reset();  // here, with no lock held
}

void InferenceWorker::notify() {
  if (wake_ui_) wake_ui_();
}

void InferenceWorker::load(int slot, const std::string& dir, const LoadOptions& options) {
  if (slot < 0 || slot >= kNumSlots) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& s = *slots_[static_cast<size_t>(slot)];
    s.pending_load = std::make_pair(dir, options);
    ++s.loads;
    s.state.phase = dir.empty() ? SlotState::Phase::Empty : SlotState::Phase::Loading;
    s.state.model_dir = dir;
    s.state.message = dir.empty() ? "no model" : "queued: " + dir;
    s.state.error.clear();
    s.state.load_error.clear();
  }
  cv_.notify_all();
}

void InferenceWorker::cancel_load(int slot) {
  if (slot < 0 || slot >= kNumSlots) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Slot& s = *slots_[static_cast<size_t>(slot)];
    if (s.state.phase != SlotState::Phase::Loading) return;  // nothing queued or in progress
    const std::string dir = s.state.model_dir;
    s.pending_load.reset();
    ++s.loads;  // a load in progress stops at its next progress report and is discarded (load_slot)
    s.state.progress = -1;
    s.state.started_seconds = 0;
    if (s.model) {
      s.state.phase = SlotState::Phase::Ready;
      s.state.model_dir = s.loaded_dir;
      s.state.message = "cancelled loading " + dir + " (slot keeps " + s.loaded_dir + ")";
    } else {
      s.state.phase = SlotState::Phase::Empty;
      s.state.model_dir.clear();
      s.state.message = "cancelled loading " + dir;
    }
  }
  cv_.notify_all();
  notify();
}

void InferenceWorker::cancel_run() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    request_.reset();
    pending_continue_.reset();
    pending_scan_.reset();
    ++generation_;
    latest_generation_ = generation_;  // a run or generation in progress sees a newer generation and stops
    for (auto& s : slots_) {
      if (s->stale && s->state.phase == SlotState::Phase::Ready && !s->state.running) {
        s->state.message = "run cancelled";  // queued, never started
      }
    }
  }
  cv_.notify_all();
  notify();
}

void InferenceWorker::submit(const RunRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (request.continue_tokens > 0) {
      pending_continue_ = request;
    } else {
      request_ = request;
      pending_continue_.reset();  // a continuation of an older prompt is not wanted any more
      for (auto& s : slots_) s->stale = true;
    }
    ++generation_;
    latest_generation_ = generation_;
  }
  cv_.notify_all();
}

void InferenceWorker::scan(const ScanRequest& request) {
  if (request.slot < 0 || request.slot >= kNumSlots) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_scan_ = request;
  }
  cv_.notify_all();
}

std::future<WindowResult> InferenceWorker::request_window(const WindowRequest& request) {
  std::promise<WindowResult> promise;
  std::future<WindowResult> future = promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      windows_.push_back({request, std::move(promise)});
      windows_cv_.notify_one();
      return future;
    }
  }
  WindowResult result;
  result.request = request;
  result.error = "the inference worker stopped";
  promise.set_value(std::move(result));
  return future;
}

SlotState InferenceWorker::state(int slot) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot < 0 || slot >= kNumSlots) return {};
  return slots_[static_cast<size_t>(slot)]->state;
}

bool InferenceWorker::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& s : slots_) {
    if (s->busy) return false;
  }
  return !pending_continue_ && !pending_scan_ && next_load() < 0 && next_run() < 0;
}

Model::DeviceMemory InferenceWorker::device_memory(int slot) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot < 0 || slot >= kNumSlots) return {};
  const Slot& s = *slots_[static_cast<size_t>(slot)];
  return s.model ? s.model->device_memory() : Model::DeviceMemory{};
}

int InferenceWorker::next_load() const {
  for (int i = 0; i < kNumSlots; ++i) {
    if (slots_[static_cast<size_t>(i)]->pending_load) return i;
  }
  return -1;
}

int InferenceWorker::next_run() const {
  if (!request_) return -1;
  for (int i = 0; i < kNumSlots; ++i) {
    const Slot& s = *slots_[static_cast<size_t>(i)];
    if (s.stale && s.state.phase == SlotState::Phase::Ready) return i;
  }
  return -1;
}

int InferenceWorker::continuation_slot() const {
  if (!pending_continue_) return -1;
  for (const auto& s : slots_) {
    if (s->pending_load || s->state.phase == SlotState::Phase::Loading) return -1;  // it should use the new models
  }
  for (int i = 0; i < kNumSlots; ++i) {
    if (slots_[static_cast<size_t>(i)]->state.phase == SlotState::Phase::Ready) return i;
  }
  return -1;
}

bool InferenceWorker::continuation_unanswerable() const {
  if (!pending_continue_) return false;
  for (const auto& s : slots_) {
    if (s->pending_load || s->state.phase == SlotState::Phase::Loading || s->state.phase == SlotState::Phase::Ready) {
      return false;
    }
  }
  return true;
}

bool InferenceWorker::may_compute(int index) const {
  const Slot& slot = *slots_[static_cast<size_t>(index)];
  if (!slot.on_cpu) return true;
  if (cpu_compute_ > 0) return false;
  // Slot A first: a lower slot that wants the CPU for a run goes before this one.
  for (int i = 0; i < index; ++i) {
    const Slot& other = *slots_[static_cast<size_t>(i)];
    if (other.on_cpu && !other.busy && !other.pending_load && request_ && other.stale &&
        other.state.phase == SlotState::Phase::Ready) {
      return false;
    }
  }
  return true;
}

bool InferenceWorker::dense_past_budget(const AttentionSnapshot& snapshot) const {
  if (!request_ || request_->dense_maps_budget <= 0 || snapshot.request.maps != CaptureRequest::Maps::All) return false;
  return dense_map_bytes(loaded_models(), static_cast<int64_t>(snapshot.tokens.size())) > request_->dense_maps_budget;
}

std::vector<ModelInfo> InferenceWorker::loaded_models() const {
  std::vector<ModelInfo> loaded;
  for (const auto& s : slots_) {
    if (s->state.info) loaded.push_back(*s->state.info);
  }
  return loaded;
}

bool InferenceWorker::may_run(int index) const {
  const Slot& slot = *slots_[static_cast<size_t>(index)];
  return request_ && slot.stale && slot.state.phase == SlotState::Phase::Ready && !slot.busy && !slot.pending_load &&
         may_compute(index);
}

bool InferenceWorker::may_load(int index) const {
  const Slot& slot = *slots_[static_cast<size_t>(index)];
  if (!slot.pending_load) return false;
  if (slot.pending_load->first.empty()) return true;  // unloading frees memory at once
  if (folder_loading_) return false;
  for (int i = 0; i < index; ++i) {  // slot A first
    const auto& other = slots_[static_cast<size_t>(i)]->pending_load;
    if (other && !other->first.empty()) return false;
  }
  return true;
}

bool InferenceWorker::may_scan(int index) const {
  if (!pending_scan_ || pending_scan_->slot != index) return false;
  const Slot& slot = *slots_[static_cast<size_t>(index)];
  if (slot.busy || slot.pending_load || slot.state.phase == SlotState::Phase::Loading) return false;
  if (slot.state.phase != SlotState::Phase::Ready) return true;  // answered at once: no model to scan
  return !(request_ && slot.stale) && may_compute(index);
}

void InferenceWorker::slot_thread_main(int index) {
  // Runs give way to the UI's frames where they share cores (thread_priority.h; the window thread keeps its priority:
  // the UI waits on it).
  lower_this_thread_priority(inference_thread_nice());
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] {
      return stopping_ || may_load(index) || continuation_unanswerable() ||
             (continuation_slot() == index && may_compute(index)) || (continuation_slot() < 0 && may_run(index)) ||
             (continuation_slot() < 0 && may_scan(index));
    });
    if (stopping_) return;
    // This slot's load first: its run should use the model the user asked for last. Then a continuation, which the
    // user asked for by a click (runs wait for it), then the latest request if this slot does not show it yet.
    if (may_load(index)) {
      load_slot(index, lock);
    } else if (continuation_unanswerable()) {
      pending_continue_.reset();  // no slot holds a model: nothing can continue the prompt
    } else if (continuation_slot() == index) {
      continue_prompt(index, lock);
    } else if (may_run(index)) {
      run_slot(index, lock);
    } else if (may_scan(index)) {  // after the slot's run: a scan is asked for once the prompt's results are shown
      scan_slot(index, lock);
    }
    cv_.notify_all();  // what this slot did may let another slot's thread go on (the CPU is free, a load finished)
  }
}

void InferenceWorker::load_slot(int index, std::unique_lock<std::mutex>& lock) {
  Slot& slot = *slots_[static_cast<size_t>(index)];
  auto [dir, options] = *slot.pending_load;
  slot.pending_load.reset();
  const uint64_t ticket = slot.loads;
  slot.state.message = "loading " + dir;
  slot.state.progress = 0;
  slot.state.started_seconds = steady_seconds();
  slot.busy = true;
  folder_loading_ = !dir.empty();  // may_load: the other slot's folder waits for this one
  lock.unlock();
  notify();

  std::unique_ptr<SlotModel> model;
  std::string error;
  bool cancelled = false;
  if (!dir.empty()) {
    options.progress = [this, &slot, ticket](float fraction, const std::string& what) {
      {
        std::lock_guard<std::mutex> guard(mutex_);
        if (slot.loads != ticket) return;  // a newer load owns the message
        slot.state.message = "loading: " + what + " (" + std::to_string(static_cast<int>(fraction * 100)) + "%)";
        slot.state.progress = fraction;
      }
      notify();
    };
    const auto should_stop = [this, &slot, ticket] { return stopping_ || slot.loads != ticket; };
    try {
      model = load_model_(dir, options, should_stop);
      if (!model) error = "no model was loaded from " + dir;
    } catch (const Cancelled&) {
      cancelled = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }

  std::unique_ptr<SlotModel> retired_model;
  SnapshotPtr retired_snapshot;
  WhatIfPtr retired_what_if;
  lock.lock();
  slot.busy = false;
  if (!dir.empty()) folder_loading_ = false;  // the thread loop's notify_all wakes a slot waiting for its turn
  if (slot.loads == ticket) {  // else a newer load or cancel_load owns them
    slot.state.progress = -1;
    slot.state.started_seconds = 0;
  }
  if (cancelled || slot.loads != ticket || stopping_) {
    retired_model = std::move(model);  // replaced by a newer load (queued now) or the worker's end
  } else if (!model && !dir.empty() && slot.model) {
    // A failed load keeps the model the slot held: its folder, info and snapshot stand; the slot says what failed.
    slot.state.phase = SlotState::Phase::Ready;
    slot.state.model_dir = slot.loaded_dir;
    slot.state.load_error = "could not load " + dir + ": " + error + " (slot keeps " + slot.loaded_dir + ")";
    slot.state.message = slot.state.load_error;
    slot.state.error = error;
  } else {
    retired_model = std::move(slot.model);
    retired_snapshot = std::move(slot.state.snapshot);
    retired_what_if = std::move(slot.state.what_if);  // the old model's: its changed run and its scan go with it
    slot.state.what_if_error.clear();
    slot.state.scan.reset();
    slot.state.snapshot_prompt_id = 0;
    slot.state.running = false;
    slot.model = std::move(model);
    slot.on_cpu = slot.model && slot.model->info().device.rfind("cpu", 0) == 0;
    if (slot.model) {
      slot.loaded_dir = dir;
      slot.state.phase = SlotState::Phase::Ready;
      slot.state.info = slot.model->info();
      slot.state.tokenizer_id = slot.model->tokenizer_id();
      slot.state.message = "loaded " + slot.model->info().name + " on " + slot.model->info().device;
      slot.state.error.clear();
      // The one place that reruns after a load: the new model answers the latest request (when there is one).
      slot.stale = true;
      // And a slot whose dense maps were decided without this model (it ran while this one loaded) runs again when
      // both together pass the budget, so what is captured does not depend on which load finished first.
      // (A run in progress is checked when it publishes, in run_slot.)
      for (auto& other : slots_) {
        if (other.get() != &slot && other->state.snapshot && dense_past_budget(*other->state.snapshot)) {
          other->stale = true;
        }
      }
    } else {
      slot.loaded_dir.clear();
      slot.state.phase = dir.empty() ? SlotState::Phase::Empty : SlotState::Phase::Failed;
      slot.state.info.reset();
      slot.state.tokenizer_id.clear();
      slot.state.message = dir.empty() ? "no model" : error;
      slot.state.error = error;
      if (!dir.empty()) slot.state.load_error = error;
    }
  }
  lock.unlock();
  retired_model.reset();
  retired_snapshot.reset();
  retired_what_if.reset();
  notify();
  lock.lock();
}

std::vector<Token> InferenceWorker::tokens_for(const RunRequest& request, const SlotModel& model) const {
  if (request.tokens && request.tokens_tokenizer == model.tokenizer_id()) return *request.tokens;
  if (request.token_ids) return tokens_from_ids(*request.token_ids);
  if (request.text.empty()) throw InputError("the prompt is empty: type some text");
  return model.encode(request.text);
}

std::function<bool()> InferenceWorker::progress_poll(Slot& slot, uint64_t generation, uint64_t ticket, int polls) {
  return [this, &slot, generation, ticket, polls, polled = 0]() mutable {
    if (stopping_ || latest_generation_ != generation || slot.loads != ticket) return true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slot.state.progress = polls > 0 ? std::min(1.0f, static_cast<float>(polled) / static_cast<float>(polls)) : -1;
    }
    ++polled;
    notify();
    return false;
  };
}

const SlotModel& InferenceWorker::begin_work(Slot& slot, std::unique_lock<std::mutex>& lock) {
  const SlotModel& model = *slot.model;  // only this thread replaces models: it stays while the lock is released
  slot.state.progress = 0;
  slot.state.started_seconds = steady_seconds();
  slot.state.running = true;
  slot.busy = true;
  if (slot.on_cpu) ++cpu_compute_;
  lock.unlock();
  notify();
  return model;
}

void InferenceWorker::end_work(Slot& slot) {
  slot.state.running = false;
  slot.state.progress = -1;
  slot.state.started_seconds = 0;
  slot.busy = false;
  if (slot.on_cpu) --cpu_compute_;
}

void InferenceWorker::run_slot(int index, std::unique_lock<std::mutex>& lock) {
  Slot& slot = *slots_[static_cast<size_t>(index)];
  const RunRequest request = *request_;
  const uint64_t generation = generation_;
  const uint64_t ticket = slot.loads;
  const std::vector<ModelInfo> loaded = loaded_models();  // for request.dense_maps_budget: who shares the budget
  const SlotModel& model = begin_work(slot, lock);

  SnapshotPtr snapshot;
  WhatIfPtr what_if;
  std::string error, what_if_error;
  bool cancelled = false;
  size_t truncated_from = 0;  // tokens of the prompt when it was cut to the context, else 0
  try {
    std::vector<Token> tokens = tokens_for(request, model);
    const int64_t context = model.info().max_positions;
    if (request.truncate && context > 0 && static_cast<int64_t>(tokens.size()) > context) {
      truncated_from = tokens.size();
      tokens.resize(static_cast<size_t>(context));
    }
    CaptureRequest capture = request.capture;
    if (request.dense_maps_budget > 0) {
      const bool dense = dense_map_bytes(loaded, static_cast<int64_t>(tokens.size())) <= request.dense_maps_budget;
      capture.maps = dense ? CaptureRequest::Maps::All : CaptureRequest::Maps::None;
      capture.logits = dense;
    }
    if (request.span_bytes) {
      capture.span = tokens_overlapping(tokens, request.span_bytes->first, request.span_bytes->second);
    }
    const std::vector<Intervention>& interventions = request.interventions[static_cast<size_t>(index)];
    // A what-if runs the model three more times (the changed run, and both runs' logits).
    const auto should_stop =
        progress_poll(slot, generation, ticket, model.info().num_layers * (interventions.empty() ? 1 : 4));
    snapshot = std::make_shared<const AttentionSnapshot>(model.run(tokens, capture, should_stop));
    if (!interventions.empty()) {
      try {
        if (request.target_is_span && !capture.span) {
          throw InputError("the what-if's target is span R, but no span is marked: mark the answer's tokens");
        }
        what_if = std::make_shared<const WhatIf>(run_what_if(model, tokens, capture, interventions, request.target_text,
                                                             should_stop, request.target_is_span ? capture.span
                                                                                                 : std::nullopt));
      } catch (const Cancelled&) {
        throw;
      } catch (const std::exception& e) {
        what_if_error = e.what();  // the clean run stands
      }
    }
  } catch (const Cancelled&) {
    cancelled = true;
  } catch (const std::exception& e) {
    error = e.what();
  }

  SnapshotPtr retired;
  lock.lock();
  end_work(slot);
  if (slot.loads != ticket) {
    // The model it ran on is being replaced: the load's messages stand, the result goes.
    if (cancelled) ++slot.state.runs_cancelled;
    retired = std::move(snapshot);
  } else if (cancelled) {
    ++slot.state.runs_cancelled;
    slot.state.message = request_ ? "run cancelled for a newer request" : "run cancelled";
  } else {
    // A complete run is shown even when a newer request came after its last layer; the slot stays stale then and
    // runs that request next. So does one whose dense maps were decided before the other slot's model loaded, when
    // both together pass the budget.
    if (generation == generation_ && !(snapshot && dense_past_budget(*snapshot))) slot.stale = false;
    if (snapshot) {
      retired = std::move(slot.state.snapshot);
      slot.state.snapshot = std::move(snapshot);
      slot.state.snapshot_prompt_id = request.prompt_id;
      slot.state.what_if = std::move(what_if);
      slot.state.what_if_error = what_if_error;
      ++slot.state.sequence;
      slot.state.message = "ran " + std::to_string(slot.state.snapshot->tokens.size()) + " tokens in " +
                           std::to_string(static_cast<int>(slot.state.snapshot->seconds * 1000)) + " ms";
      if (truncated_from > 0) {
        slot.state.message += " (the first " + std::to_string(slot.state.snapshot->tokens.size()) + " of " +
                              std::to_string(truncated_from) + ": the model's context)";
      }
      slot.state.error.clear();
    } else {
      slot.state.message = error;
      slot.state.error = error;
      slot.state.failed_prompt_id = request.prompt_id;
    }
  }
  lock.unlock();
  retired.reset();
  snapshot.reset();
  notify();
  lock.lock();
}

void InferenceWorker::scan_slot(int index, std::unique_lock<std::mutex>& lock) {
  const ScanRequest request = *pending_scan_;
  pending_scan_.reset();
  const uint64_t generation = generation_;
  Slot& slot = *slots_[static_cast<size_t>(index)];
  if (slot.state.phase != SlotState::Phase::Ready) {
    slot.state.scan_error = slot.state.scan_message = "no model is loaded in this slot to scan";
    ++slot.state.scan_sequence;
    lock.unlock();
    notify();
    lock.lock();
    return;
  }
  const uint64_t ticket = slot.loads;
  slot.state.scanning = true;
  slot.state.scan_message = "scanning every head";
  const SlotModel& model = begin_work(slot, lock);

  std::shared_ptr<const HeadScan> scan;
  std::string error;
  bool cancelled = false;
  try {
    std::vector<Token> tokens = tokens_for(request.prompt, model);
    const int64_t context = model.info().max_positions;
    if (request.prompt.truncate && context > 0 && static_cast<int64_t>(tokens.size()) > context) {
      tokens.resize(static_cast<size_t>(context));
    }
    std::vector<int64_t> answer;
    if (!request.target_text.empty()) {
      try {
        answer = model.answer_ids(request.target_text);
      } catch (const InputError& e) {
        throw InputError(std::string("the scan's target text: ") + e.what());
      }
    }
    // Polled before each layer of the clean run and each batch of heads (one batch a layer when a layer's heads fit
    // the memory budget, as on the bundled models; more batches run past 100%, clamped).
    const auto should_stop = progress_poll(slot, generation, ticket, 2 * model.info().num_layers);
    scan = std::make_shared<const HeadScan>(model.scan_heads(tokens, answer, request.options, should_stop));
  } catch (const Cancelled&) {
    cancelled = true;
  } catch (const std::exception& e) {
    error = e.what();
  }

  std::shared_ptr<const HeadScan> retired;
  lock.lock();
  end_work(slot);
  slot.state.scanning = false;
  if (cancelled || slot.loads != ticket) {
    slot.state.scan_message = "scan cancelled";
    slot.state.scan_error.clear();
  } else if (scan) {
    retired = std::move(slot.state.scan);
    slot.state.scan = std::move(scan);
    slot.state.scan_prompt_id = request.prompt.prompt_id;
    slot.state.scan_message = "scanned " + std::to_string(slot.state.scan->effects.size()) + " heads in " +
                              std::to_string(static_cast<int>(slot.state.scan->seconds * 1000)) + " ms";
    slot.state.scan_error.clear();
  } else {
    slot.state.scan_message = slot.state.scan_error = error;
  }
  ++slot.state.scan_sequence;
  lock.unlock();
  retired.reset();
  notify();
  lock.lock();
}

void InferenceWorker::continue_prompt(int index, std::unique_lock<std::mutex>& lock) {
  const RunRequest request = *pending_continue_;
  pending_continue_.reset();
  const uint64_t generation = generation_;
  Slot& slot = *slots_[static_cast<size_t>(index)];
  const uint64_t ticket = slot.loads;
  const SlotModel& model = begin_work(slot, lock);

  std::string text, error, ending;
  std::vector<Token> continued;
  size_t generated = 0;
  bool cancelled = false;
  try {
    continued = tokens_for(request, model);
    GenerationOptions options;
    options.max_new_tokens = request.continue_tokens;
    CaptureRequest capture;
    capture.maps = CaptureRequest::Maps::None;
    capture.logits = false;
    capture.statistics = false;
    capture.overviews = false;
    capture.keep_store = false;
    // Polled before each layer of the prompt's forward and of every step's.
    const auto should_stop =
        progress_poll(slot, generation, ticket, model.info().num_layers * (1 + options.max_new_tokens));
    const Generation gen = model.generate(continued, options, capture, should_stop);
    // Generated tokens continue the text: their spans follow the request's bytes.
    int64_t offset = static_cast<int64_t>(request.text.size());
    for (const GenerationStep& step : gen.steps) {
      // The EOS token ends the text; it is named in the message instead of being appended to the prompt.
      if (gen.stopped_by == StopReason::StopId && &step == &gen.steps.back()) break;
      const std::string bytes = model.token_bytes(step.id);
      text += bytes;
      const int64_t end = offset + static_cast<int64_t>(bytes.size());
      continued.push_back({step.id, escape_for_display(bytes), offset, end, std::string()});  // the rerun's
                                                                                              // tokens name pieces
      offset = end;
    }
    generated = gen.steps.size();
    if (gen.stopped_by == StopReason::StopId) {
      ending = ": the model produced its end-of-sequence token (id " + std::to_string(gen.steps.back().id) + ")";
    } else if (gen.stopped_by == StopReason::Context) {
      ending = ": the context of " + std::to_string(model.info().max_positions) + " tokens is full";
    }
  } catch (const Cancelled&) {
    cancelled = true;
  } catch (const std::exception& e) {
    error = e.what();
  }

  lock.lock();
  end_work(slot);
  if (cancelled || slot.loads != ticket) {
    ++slot.state.runs_cancelled;
    if (slot.loads == ticket) {
      slot.state.message = request_ || pending_continue_ ? "generation cancelled for a newer request"
                                                         : "generation cancelled";
    }
  } else if (error.empty()) {
    slot.state.continuation = text;
    slot.state.continued_text = request.text + text;
    slot.state.continued_tokens = std::move(continued);
    slot.state.continued_tokenizer = model.tokenizer_id();
    ++slot.state.continuation_sequence;
    slot.state.message = "generated " + std::to_string(generated) + " of " +
                         std::to_string(request.continue_tokens) + " tokens" + ending;
    slot.state.continuation_message = slot.state.message;
    slot.state.error.clear();
  } else {
    slot.state.message = error;
    slot.state.error = error;
    // Published as a continuation of nothing, so the UI that asked hears why (the message of the run that follows
    // would replace `message`).
    slot.state.continuation.clear();
    slot.state.continuation_message = "could not continue: " + error;
    ++slot.state.continuation_sequence;
  }
  lock.unlock();
  notify();
  lock.lock();
}

WindowResult InferenceWorker::serve_window(const WindowRequest& request) const {
  WindowResult result;
  result.request = request;
  SnapshotPtr snapshot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (request.slot >= 0 && request.slot < kNumSlots) {
      const SlotState& s = slots_[static_cast<size_t>(request.slot)]->state;
      if (s.snapshot && s.sequence == request.sequence) snapshot = s.snapshot;
    }
  }
  if (!snapshot) {
    result.superseded = true;
    result.error = "slot " + std::to_string(request.slot) + " no longer shows snapshot " +
                   std::to_string(request.sequence);
    return result;
  }
  if (!snapshot->store) {
    result.error = "the run kept no store of its maps (CaptureRequest::keep_store was off)";
    return result;
  }
  try {
    result.map = snapshot->store->window(request.window);
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;  // `snapshot` may be the last owner: it goes here, with no lock held
}

void InferenceWorker::window_thread_main() {
  for (;;) {
    std::optional<PendingWindow> next;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      windows_cv_.wait(lock, [&] { return stopping_ || !windows_.empty(); });
      if (stopping_) return;  // the destructor answers what is queued
      next = std::move(windows_.front());
      windows_.pop_front();
    }
    next->promise.set_value(serve_window(next->request));
    notify();
  }
}

}  // namespace diffscope
