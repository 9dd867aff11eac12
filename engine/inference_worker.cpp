// The inference thread behind the app: a mailbox where the latest run request wins, model loads per slot, and
// published snapshots. Public methods: any thread; thread_main and what it calls: the worker thread only.
#include "inference_worker.h"

#include "errors.h"
#include "tokenizer.h"

namespace diffscope {

struct InferenceWorker::Slot {
  SlotState state;                       // guarded by mutex_
  std::optional<std::pair<std::string, LoadOptions>> pending_load;  // guarded by mutex_
  std::unique_ptr<Model> model;          // worker thread only
  std::unique_ptr<Tokenizer> tokenizer;  // worker thread only
};

InferenceWorker::InferenceWorker(std::function<void()> wake_ui) : wake_ui_(std::move(wake_ui)) {
  for (int i = 0; i < kNumSlots; ++i) slots_.push_back(std::make_unique<Slot>());
  thread_ = std::thread([this] { thread_main(); });
}

InferenceWorker::~InferenceWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    ++run_generation_;
    latest_generation_ = run_generation_;
  }
  cv_.notify_all();
  thread_.join();
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
    s.state.phase = dir.empty() ? SlotState::Phase::Empty : SlotState::Phase::Loading;
    s.state.model_dir = dir;
    s.state.message = dir.empty() ? "no model" : "queued: " + dir;
    s.state.error.clear();
  }
  cv_.notify_all();
}

void InferenceWorker::submit(const RunRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_run_ = request;
    ++run_generation_;
    latest_generation_ = run_generation_;
  }
  cv_.notify_all();
}

SlotState InferenceWorker::state(int slot) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot < 0 || slot >= kNumSlots) return {};
  return slots_[static_cast<size_t>(slot)]->state;
}

bool InferenceWorker::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (busy_ || pending_run_) return false;
  for (const auto& s : slots_) {
    if (s->pending_load) return false;
  }
  return true;
}

void InferenceWorker::thread_main() {
  std::optional<RunRequest> last_request;  // rerun on a slot whose model changed
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] {
      if (stopping_ || pending_run_) return true;
      for (const auto& s : slots_) {
        if (s->pending_load) return true;
      }
      return false;
    });
    if (stopping_) return;
    busy_ = true;

    // Loads first: a run should use the models the user asked for last.
    std::vector<int> reloaded;
    for (int i = 0; i < kNumSlots; ++i) {
      Slot& slot = *slots_[static_cast<size_t>(i)];
      if (!slot.pending_load) continue;
      auto [dir, options] = *slot.pending_load;
      slot.pending_load.reset();
      slot.state.message = "loading " + dir;
      lock.unlock();
      notify();
      std::unique_ptr<Model> model;
      std::unique_ptr<Tokenizer> tokenizer;
      std::string error;
      if (!dir.empty()) {
        options.progress = [this, i](float fraction, const std::string& what) {
          {
            std::lock_guard<std::mutex> guard(mutex_);
            slots_[static_cast<size_t>(i)]->state.message =
                "loading: " + what + " (" + std::to_string(static_cast<int>(fraction * 100)) + "%)";
          }
          notify();
        };
        try {
          model = Model::load(dir, options);
          tokenizer = tokenizer_for_model(dir, model->info().vocab_size);
        } catch (const std::exception& e) {
          error = e.what();
          model.reset();
        }
      }
      lock.lock();
      if (slot.pending_load) continue;  // superseded while loading
      slot.model = std::move(model);
      slot.tokenizer = std::move(tokenizer);
      slot.state.snapshot.reset();
      if (dir.empty()) {
        slot.state.phase = SlotState::Phase::Empty;
        slot.state.info.reset();
        slot.state.message = "no model";
      } else if (slot.model) {
        slot.state.phase = SlotState::Phase::Ready;
        slot.state.info = slot.model->info();
        slot.state.message = "loaded " + slot.model->info().name + " on " + slot.model->info().device;
        slot.state.error.clear();
        reloaded.push_back(i);
      } else {
        slot.state.phase = SlotState::Phase::Failed;
        slot.state.info.reset();
        slot.state.message = error;
        slot.state.error = error;
      }
    }
    if (!pending_run_ && last_request && !reloaded.empty()) pending_run_ = last_request;
    if (!pending_run_) {
      busy_ = false;
      lock.unlock();
      notify();
      continue;
    }
    RunRequest request = *pending_run_;
    pending_run_.reset();
    const uint64_t generation = run_generation_;
    last_request = request;

    if (request.continue_tokens > 0) {
      continue_prompt(request, lock);
      busy_ = false;
      lock.unlock();
      notify();
      continue;
    }
    for (int i = 0; i < kNumSlots; ++i) {
      Slot& slot = *slots_[static_cast<size_t>(i)];
      if (!slot.model) continue;
      slot.state.running = true;
      lock.unlock();
      notify();
      SnapshotPtr snapshot;
      std::string error;
      bool cancelled = false;
      try {
        std::vector<Token> tokens = request.token_ids ? tokens_from_ids(*request.token_ids)
                                                      : slot.tokenizer->encode(request.text);
        CaptureRequest capture = request.capture;
        if (request.span_bytes) {
          capture.span = tokens_overlapping(tokens, request.span_bytes->first, request.span_bytes->second);
        }
        auto stale = [this, generation] { return latest_generation_.load() != generation; };
        snapshot = std::make_shared<const AttentionSnapshot>(slot.model->run(tokens, capture, stale));
      } catch (const Cancelled&) {
        cancelled = true;
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      slot.state.running = false;
      if (cancelled) break;
      if (snapshot) {
        slot.state.snapshot = snapshot;
        ++slot.state.sequence;
        slot.state.message = "ran " + std::to_string(snapshot->tokens.size()) + " tokens in " +
                             std::to_string(static_cast<int>(snapshot->seconds * 1000)) + " ms";
        slot.state.error.clear();
      } else {
        slot.state.message = error;
        slot.state.error = error;
      }
      if (pending_run_ || stopping_) break;  // a newer request: drop the rest of this one
    }
    busy_ = false;
    lock.unlock();
    notify();
  }
}

void InferenceWorker::continue_prompt(const RunRequest& request, std::unique_lock<std::mutex>& lock) {
  Slot* slot = nullptr;
  for (const auto& s : slots_) {
    if (s->model) {
      slot = s.get();
      break;
    }
  }
  if (!slot) return;
  slot->state.running = true;
  lock.unlock();
  notify();
  std::string text, error, ending;
  size_t generated = 0;
  try {
    const std::vector<Token> tokens =
        request.token_ids ? tokens_from_ids(*request.token_ids) : slot->tokenizer->encode(request.text);
    GenerationOptions options;
    options.max_new_tokens = request.continue_tokens;
    CaptureRequest capture;
    capture.maps = CaptureRequest::Maps::None;
    capture.logits = false;
    capture.statistics = false;
    const Generation gen = slot->model->generate(tokens, options, capture);
    for (const GenerationStep& step : gen.steps) {
      // The EOS token ends the text; it is named in the message instead of being appended to the prompt.
      if (gen.stopped_by == StopReason::StopId && &step == &gen.steps.back()) break;
      text += slot->tokenizer->token_bytes(step.id);
    }
    generated = gen.steps.size();
    if (gen.stopped_by == StopReason::StopId) {
      ending = ": the model produced its end-of-sequence token (id " + std::to_string(gen.steps.back().id) + ")";
    } else if (gen.stopped_by == StopReason::Context) {
      ending = ": the context of " + std::to_string(slot->model->info().max_positions) + " tokens is full";
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  slot->state.running = false;
  if (error.empty()) {
    slot->state.continuation = text;
    ++slot->state.continuation_sequence;
    slot->state.message = "generated " + std::to_string(generated) + " of " +
                          std::to_string(request.continue_tokens) + " tokens" + ending;
    slot->state.error.clear();
  } else {
    slot->state.message = error;
    slot->state.error = error;
  }
}

}  // namespace diffscope
