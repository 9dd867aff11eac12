// The benchmark's prompt from the models' own tokenizers (gui_bench_prompt.h). Main thread.
#include "gui_bench_prompt.h"

#include <memory>
#include <optional>

#include "errors.h"
#include "model/model_config.h"
#include "model_folder.h"
#include "repeated_text.h"
#include "tokenizer.h"

namespace diffscope {

bool make_bench_prompt(const std::vector<std::string>& model_dirs, int64_t tokens, const std::string& source,
                       std::string* prompt, std::string* error) {
  std::vector<std::unique_ptr<Tokenizer>> owned;
  std::vector<const Tokenizer*> tokenizers;
  try {
    for (const std::string& dir : model_dirs) {
      if (dir.empty()) continue;
      if (const std::optional<std::string> problem = model_folder_problem(dir)) {
        *error = *problem;
        return false;
      }
      const ModelConfig config = read_model_config(dir);
      if (tokens > config.max_positions) {
        *error = "--bench-tokens " + std::to_string(tokens) + " is longer than the context of " + dir + " (" +
                 std::to_string(config.max_positions) + " tokens, max_position_embeddings): choose at most " +
                 std::to_string(config.max_positions) + ", or a model with a longer context";
        return false;
      }
      owned.push_back(tokenizer_for_model(dir, config.vocab_size));
      tokenizers.push_back(owned.back().get());
    }
    if (tokenizers.empty()) {
      *error = "the benchmark needs a model in slot A or B (--model DIR, --model-b DIR)";
      return false;
    }
    *prompt = repeated_text(source, tokens, tokenizers);
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  return true;
}

}  // namespace diffscope
