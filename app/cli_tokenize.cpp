// `diffscope-cli tokenize (--model DIR | --tokenizer FILE) (--text TEXT | --file F)`: the ids exactly as the model
// receives them, with each token's display text and byte span in the text, as one JSON object. Main thread.
#include "cli_tokenize.h"
#include "cli_files.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "model/model_config.h"
#include "tokenizer.h"
#include "tokenizer/hf_tokenizer.h"

using namespace diffscope;

namespace {

const char* const kUsage =
    "usage: diffscope-cli tokenize (--model DIR | --tokenizer FILE) (--text TEXT | --file F)\n"
    "  --model DIR       the model folder's tokenizer: tokenizer.json if present, else bytes (needs config.json)\n"
    "  --tokenizer FILE  an HF tokenizer.json\n"
    "  --text TEXT       the text to tokenize (\"\" gives HF's ids for the empty text: BOS alone, or none)\n"
    "  --file F          read the text from a file (bytes as they are)\n"
    "prints {\"ids\": [...], \"tokens\": [...], \"spans\": [[begin, end], ...]} with byte offsets into the text\n";

struct TokenizeOptions {
  std::optional<std::string> model_dir;
  std::optional<std::string> tokenizer_file;
  std::optional<std::string> text;
  std::optional<std::string> text_file;
};

struct BadUsage {
  std::string message;
};

TokenizeOptions parse(const std::vector<std::string>& args) {
  TokenizeOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    const auto value = [&]() {
      if (i + 1 >= args.size()) throw BadUsage{flag + " needs a value"};
      return args[++i];
    };
    if (flag == "--model") o.model_dir = value();
    else if (flag == "--tokenizer") o.tokenizer_file = value();
    else if (flag == "--text") o.text = value();
    else if (flag == "--file") o.text_file = value();
    else throw BadUsage{"unknown argument " + flag};
  }
  if (o.model_dir.has_value() == o.tokenizer_file.has_value()) throw BadUsage{"give one of --model or --tokenizer"};
  if (o.text.has_value() == o.text_file.has_value()) throw BadUsage{"give one of --text or --file"};
  return o;
}

std::unique_ptr<Tokenizer> open_tokenizer(const TokenizeOptions& o) {
  if (o.tokenizer_file) return HfTokenizer::from_file(*o.tokenizer_file);
  // The byte-level fallback needs the model's vocabulary size; a tokenizer.json does not.
  const bool has_tokenizer_json = std::ifstream(*o.model_dir + "/tokenizer.json").good();
  const int64_t vocab_size = has_tokenizer_json ? 0 : read_model_config(*o.model_dir).vocab_size;
  return tokenizer_for_model(*o.model_dir, vocab_size);
}

}  // namespace

int command_tokenize(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  try {
    const TokenizeOptions o = parse(args);
    const std::string text = o.text ? *o.text : read_text_file(*o.text_file, "text file");
    const std::vector<Token> tokens = open_tokenizer(o)->encode(text);
    nlohmann::ordered_json out = {{"ids", nlohmann::ordered_json::array()},
                          {"tokens", nlohmann::ordered_json::array()},
                          {"spans", nlohmann::ordered_json::array()}};
    for (const Token& t : tokens) {
      out["ids"].push_back(t.id);
      out["tokens"].push_back(t.text);
      out["spans"].push_back({t.byte_begin, t.byte_end});
    }
    // Keys in the documented order. Display texts are valid UTF-8 (escape_for_display); replace guards against anything else.
    std::cout << out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return 0;
  } catch (const BadUsage& e) {
    std::cerr << "diffscope-cli tokenize: " << e.message << "\n" << kUsage;
    return 2;
  } catch (const EngineError& e) {
    std::cerr << "diffscope-cli: " << e.what() << "\n";
    return 1;
  }
}
