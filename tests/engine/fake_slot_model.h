// A fake SlotModel (and its loader and map store) for the inference worker's tests: loads, runs, generations and
// windows that log what they do and wait at gates the test opens, so a test controls exactly where the worker is.
// Every wait is bounded (kFakeWait): a worker that never lets a fake go fails the test instead of hanging it.
// The test thread and the worker's threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "errors.h"
#include "slot_model.h"
#include "tokenizer.h"

namespace diffscope::fake {

constexpr std::chrono::seconds kFakeWait{10};

// Shared by the test and the fakes: closed gates, a log of events, and a signal the worker's wake_ui pokes.
class Script {
 public:
  void close(const std::string& gate) {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_.insert(gate);
  }
  void open(const std::string& gate) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_.erase(gate);
    }
    cv_.notify_all();
  }
  // Waits while `gate` is closed; false when it stayed closed for kFakeWait.
  bool pass(const std::string& gate) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, kFakeWait, [&] { return closed_.count(gate) == 0; });
  }
  void log(const std::string& event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(event);
    }
    cv_.notify_all();
  }
  void poke() {  // something else changed (the worker woke the UI)
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++pokes_;
    }
    cv_.notify_all();
  }
  int count(const std::string& event) const {
    std::lock_guard<std::mutex> lock(mutex_);
    int n = 0;
    for (const std::string& e : events_) n += e == event ? 1 : 0;
    return n;
  }
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  // Waits until `done()` holds, re-checking whenever an event is logged or the worker pokes; false after kFakeWait.
  // `done` runs without the script's lock (it may call the worker).
  bool wait_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kFakeWait;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      const size_t seen_events = events_.size();
      const uint64_t seen_pokes = pokes_;
      lock.unlock();
      if (done()) return true;
      lock.lock();
      const bool changed = cv_.wait_until(lock, deadline, [&] {
        return events_.size() != seen_events || pokes_ != seen_pokes;
      });
      if (!changed) {
        lock.unlock();
        return done();
      }
    }
  }
  bool wait_for_event(const std::string& event, int times = 1) {
    return wait_until([&] { return count(event) >= times; });
  }

  // Called by every fake model's and store's destructor (the test sets it to probe the worker's lock).
  std::function<void(const std::string& what)> on_destroy;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::set<std::string> closed_;
  std::vector<std::string> events_;
  uint64_t pokes_ = 0;
};

// Windows: a matrix of the window's pooled shape whose every cell is layer * 100 + head.
class FakeStore : public MapStore {
 public:
  FakeStore(Script& script, std::string name, int64_t tokens) : script_(script), name_(std::move(name)), tokens_(tokens) {}
  ~FakeStore() override {
    if (script_.on_destroy) script_.on_destroy("store " + name_);
  }
  Matrix window(const MapWindow& w) const override {
    script_.log("window " + name_);
    if (!script_.pass("window")) throw std::runtime_error("gate \"window\" stayed closed");
    const int64_t row_end = w.row_end < 0 ? tokens_ : w.row_end, col_end = w.col_end < 0 ? tokens_ : w.col_end;
    if (w.row_begin < 0 || row_end > tokens_ || w.row_begin >= row_end) throw InputError("rows outside the map");
    Matrix m;
    m.rows = (row_end - w.row_begin + w.pool - 1) / w.pool;
    m.cols = (col_end - w.col_begin + w.pool - 1) / w.pool;
    m.values.assign(static_cast<size_t>(m.rows * m.cols), static_cast<float>(w.layer * 100 + w.head));
    return m;
  }
  int64_t tokens() const override { return tokens_; }
  int64_t device_bytes() const override { return 0; }

 private:
  Script& script_;
  std::string name_;
  int64_t tokens_;
};

// A model named by its folder: 4 layers; tokens are bytes (id = byte value); id 300 stands for "Paris" and is what
// it generates. Folders under "other-tokenizer/" get another tokenizer id; folders under "short/" a context of 16
// tokens (generation stops there, as the engine's does); folders under "gpu/" say they run on "cuda:0". Gates: "load <dir>" (each of 3 load
// steps, logged "load step <s> <dir>" after the stop check), "run <name> <text>" (each layer), "generate" (each step). Each layer and step checks the stop flag, then
// logs "layer <l> <name> <text>" / "step <s> <name> <text>", then waits at its gate.
class FakeModel : public SlotModel {
 public:
  static constexpr int kLayers = 4;
  static constexpr int kLoadSteps = 3;
  static constexpr int64_t kParisId = 300;
  static constexpr int64_t kVocab = 512;

  FakeModel(Script& script, const std::string& dir) : script_(script) {
    info_.path = dir;
    info_.name = dir;
    info_.num_layers = kLayers;
    info_.num_heads = 2;
    info_.vocab_size = kVocab;
    info_.max_positions = dir.rfind("short/", 0) == 0 ? 16 : 1024;
    // Folders under "gpu/" stand for a model on a GPU: the worker runs them concurrently with the other slot's; the
    // rest say "cpu", whose runs take turns.
    info_.device = dir.rfind("gpu/", 0) == 0 ? "cuda:0" : "cpu";
  }
  ~FakeModel() override {
    script_.log("destroyed " + info_.name);
    if (script_.on_destroy) script_.on_destroy("model " + info_.name);
  }

  const ModelInfo& info() const override { return info_; }
  std::string tokenizer_id() const override {
    return info_.name.rfind("other-tokenizer/", 0) == 0 ? "fake-other" : "fake-bytes";
  }
  std::vector<Token> encode(const std::string& text) const override {
    if (text.empty()) throw InputError("empty prompt");
    std::vector<Token> tokens;
    for (size_t i = 0; i < text.size(); ++i) {
      tokens.push_back({static_cast<unsigned char>(text[i]), text.substr(i, 1), static_cast<int64_t>(i),
                        static_cast<int64_t>(i + 1)});
    }
    return tokens;
  }
  std::string token_bytes(int64_t id) const override {
    return id == kParisId ? "Paris" : std::string(1, static_cast<char>(id));
  }
  // Device memory: a fixed reading per model, so a test can tell which slot's model answered.
  Model::DeviceMemory device_memory() const override {
    return {static_cast<int64_t>(info_.name.size()) * 1000, static_cast<int64_t>(info_.name.size()) * 2000};
  }

  AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                        const std::function<bool()>& should_stop) const override {
    const std::string text = text_of(tokens);
    const std::string what = info_.name + " " + text;
    script_.log("run " + what);
    AttentionSnapshot snapshot;
    for (int layer = 0; layer < kLayers; ++layer) {
      if (should_stop()) {
        script_.log("cancelled " + what + " at layer " + std::to_string(layer));
        throw Cancelled();
      }
      script_.log("layer " + std::to_string(layer) + " " + what);
      if (!script_.pass("run " + what)) throw std::runtime_error("gate \"run " + what + "\" stayed closed");
      snapshot.layers.emplace_back();
    }
    snapshot.model = info_;
    snapshot.tokens = tokens;
    snapshot.request = request;
    snapshot.store = std::make_shared<FakeStore>(script_, what, static_cast<int64_t>(tokens.size()));
    if (request.logits) snapshot.logits = logits_of(tokens, request.interventions);
    script_.log("ran " + what);
    return snapshot;
  }

  Generation generate(const std::vector<Token>& prompt, const GenerationOptions& options, const CaptureRequest&,
                      const std::function<bool()>& should_stop) const override {
    const std::string what = info_.name + " " + text_of(prompt);
    script_.log("generate " + what);
    Generation gen;
    for (int step = 0; step < options.max_new_tokens; ++step) {
      if (static_cast<int64_t>(prompt.size()) + step >= info_.max_positions) {
        gen.stopped_by = StopReason::Context;
        break;
      }
      if (should_stop()) {
        script_.log("cancelled generation " + what + " at step " + std::to_string(step));
        throw Cancelled();
      }
      script_.log("step " + std::to_string(step) + " " + what);
      if (!script_.pass("generate")) throw std::runtime_error("gate \"generate\" stayed closed");
      gen.steps.push_back({kParisId, static_cast<int64_t>(prompt.size()) + step, {}});
    }
    script_.log("generated " + what);
    return gen;
  }

  // Logits [T, kVocab]: row t is 4 at the token after t's id (id + 1), 0 elsewhere; each intervention (layer l, head
  // h) adds 2 at id 16 l + h (h = 0 for every head), so a what-if moves the prediction by hand-derivable amounts.
  static Matrix logits_of(const std::vector<Token>& tokens, const std::vector<Intervention>& interventions) {
    Matrix m;
    m.rows = static_cast<int64_t>(tokens.size());
    m.cols = kVocab;
    m.values.assign(static_cast<size_t>(m.rows * m.cols), 0.0f);
    for (int64_t t = 0; t < m.rows; ++t) {
      float* row = m.values.data() + t * m.cols;
      row[(tokens[static_cast<size_t>(t)].id + 1) % kVocab] += 4;
      for (const Intervention& iv : interventions) row[(16 * iv.layer + std::max(iv.head, 0)) % kVocab] += 2;
    }
    return m;
  }

  // An answer's ids: its bytes (no BOS, as the engine's answers have no special tokens).
  std::vector<int64_t> answer_ids(const std::string& text) const override {
    if (text.empty()) throw InputError("the target text is empty");
    std::vector<int64_t> ids;
    for (unsigned char c : text) ids.push_back(c);
    return ids;
  }
  // A scan that checks the stop flag, logs "scan layer <l> <name>" and waits at gate "scan" per layer; head (l, h)
  // of H heads gets delta -(l H + h) / 2 (the last head the largest drop), KL (l H + h) / 10, ranks 1 -> 1 + l H + h.
  HeadScan scan_heads(const std::vector<Token>& prompt, const std::vector<int64_t>& answer,
                      const HeadScanOptions& options, const std::function<bool()>& should_stop) const override {
    script_.log("scan " + info_.name + " " + text_of(prompt));
    HeadScan scan;
    scan.prompt_tokens = static_cast<int64_t>(prompt.size());
    scan.target = answer.empty() ? std::vector<int64_t>{kParisId} : answer;
    scan.what = options.what;
    scan.value = options.value;
    scan.batch = info_.num_heads;
    for (int l = 0; l < kLayers; ++l) {
      if (should_stop()) {
        script_.log("scan cancelled " + info_.name + " at layer " + std::to_string(l));
        throw Cancelled();
      }
      script_.log("scan layer " + std::to_string(l) + " " + info_.name);
      if (!script_.pass("scan")) throw std::runtime_error("gate \"scan\" stayed closed");
      for (int h = 0; h < info_.num_heads; ++h) {
        const int i = l * info_.num_heads + h;
        scan.effects.push_back({l, h, -1.0, -1.0 - i / 2.0, 1, 1 + i, i / 10.0});
      }
    }
    rank_by_drop(scan.effects);
    return scan;
  }

  // The text of tokens: their bytes, "<id>" for ids that are not bytes of the prompt (a generated id).
  std::string text_of(const std::vector<Token>& tokens) const {
    std::string text;
    for (const Token& t : tokens) text += token_bytes(t.id);
    return text;
  }

 private:
  Script& script_;
  ModelInfo info_;
};

// The loader the worker is given: folders under "fail/" fail with an InputError after their first step.
inline SlotModelLoader fake_loader(Script& script) {
  return [&script](const std::string& dir, const LoadOptions& options,
                   const std::function<bool()>& should_stop) -> std::unique_ptr<SlotModel> {
    script.log("load " + dir);
    for (int step = 0; step < FakeModel::kLoadSteps; ++step) {
      if (should_stop()) {
        script.log("load cancelled " + dir + " at step " + std::to_string(step));
        throw Cancelled();
      }
      // Logged after the stop check (as layers and steps are), so a test that waits for it knows where it stopped.
      script.log("load step " + std::to_string(step) + " " + dir);
      if (options.progress) options.progress(static_cast<float>(step) / FakeModel::kLoadSteps, "step");
      if (!script.pass("load " + dir)) throw std::runtime_error("gate \"load " + dir + "\" stayed closed");
      if (dir.rfind("fail/", 0) == 0) throw InputError(dir + ": config.json is not a model's");
    }
    script.log("loaded " + dir);
    return std::make_unique<FakeModel>(script, dir);
  };
}

}  // namespace diffscope::fake
