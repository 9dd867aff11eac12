// The LibTorch model of a slot: Model + the folder's tokenizer behind SlotModel. Worker thread (tokenizer_id: any).
#include "torch_slot_model.h"

#include <cstdio>

#include "errors.h"
#include "json_limits.h"
#include "tokenizer.h"

namespace diffscope {

namespace {

// tokenizer.json decides every id (tokenizer_for_model reads nothing else), so its bytes name the tokenizer.
std::string tokenizer_id_of(const std::string& dir, const Tokenizer& tokenizer) {
  std::string text;
  if (tokenizer.name() == "bytes" || !read_small_file(dir + "/tokenizer.json", &text, kMaxTokenizerJsonBytes)) {
    return tokenizer.name();
  }
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(text));
  return "tokenizer.json " + std::to_string(text.size()) + " bytes #" + hash;
}

class TorchSlotModel : public SlotModel {
 public:
  TorchSlotModel(std::unique_ptr<Model> model, std::unique_ptr<Tokenizer> tokenizer, std::string tokenizer_id)
      : model_(std::move(model)), tokenizer_(std::move(tokenizer)), tokenizer_id_(std::move(tokenizer_id)) {}

  const ModelInfo& info() const override { return model_->info(); }
  std::string tokenizer_id() const override { return tokenizer_id_; }
  std::vector<Token> encode(const std::string& text) const override { return tokenizer_->encode(text); }
  std::string token_bytes(int64_t id) const override { return tokenizer_->token_bytes(id); }
  AttentionSnapshot run(const std::vector<Token>& tokens, const CaptureRequest& request,
                        const std::function<bool()>& should_stop) const override {
    // Keystrokes at the end of a long prompt rerun only the last chunks of rows (model.h RunCache).
    return model_->run(tokens, request, should_stop, &run_cache_);
  }
  Generation generate(const std::vector<Token>& prompt, const GenerationOptions& options,
                      const CaptureRequest& request, const std::function<bool()>& should_stop) const override {
    return model_->generate(prompt, options, request, should_stop);
  }
  Model::DeviceMemory device_memory() const override { return model_->device_memory(); }
  std::vector<int64_t> answer_ids(const std::string& text) const override {
    return target_ids_from_text(*tokenizer_, text);
  }
  HeadScan scan_heads(const std::vector<Token>& prompt, const std::vector<int64_t>& answer,
                      const HeadScanOptions& options, const std::function<bool()>& should_stop) const override {
    return model_->scan_heads(prompt, answer, options, should_stop);
  }

 private:
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::string tokenizer_id_;
  mutable RunCache run_cache_;  // the slot's last run, for the next one (the slot's thread alone runs the model)
};

}  // namespace

std::unique_ptr<SlotModel> load_torch_slot_model(const std::string& dir, const LoadOptions& options,
                                                 const std::function<bool()>& should_stop) {
  LoadOptions checked = options;
  // Model::load has no stop check of its own; its progress reports (one per layer of weights) are where a load
  // gives way. Cancelled unwinds through Model::load, which holds everything it built in RAII owners.
  checked.progress = [&options, &should_stop](float fraction, const std::string& what) {
    if (should_stop && should_stop()) throw Cancelled();
    if (options.progress) options.progress(fraction, what);
  };
  std::unique_ptr<Model> model = Model::load(dir, checked);
  std::unique_ptr<Tokenizer> tokenizer = tokenizer_for_model(dir, model->info().vocab_size);
  std::string id = tokenizer_id_of(dir, *tokenizer);
  if (should_stop && should_stop()) throw Cancelled();
  return std::make_unique<TorchSlotModel>(std::move(model), std::move(tokenizer), std::move(id));
}

}  // namespace diffscope
