// Tests that a model folder's tokenizer gives the ids transformers' AutoTokenizer gives, whatever its
// tokenizer_config.json says (tests/fixtures/tokenizer_configs, made by make_tokenizer_config_fixtures.py), and that
// tokenizer files DiffScope cannot read are refused instead of silently replaced. Any thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "temp_dir.h"
#include "tokenizer.h"

using namespace diffscope;
using nlohmann::json;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<int64_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int64_t> ids;
  for (const Token& t : tokens) ids.push_back(t.id);
  return ids;
}

}  // namespace

TEST_CASE("tokenizer_config.json cases give the ids transformers 5 gives", "[tokenizer][hf]") {
  const std::filesystem::path root = std::filesystem::path(DIFFSCOPE_FIXTURES);
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "tokenizer_configs")) {
    if (!std::filesystem::exists(entry.path() / "expected.json")) continue;
    const json expected = json::parse(read_text(entry.path() / "expected.json"));
    INFO("case " << entry.path().filename().string());
    REQUIRE_FALSE(expected.contains("error"));
    // The folder transformers loaded: the family's tokenizer.json (without its post-processor when so recorded)
    // next to the case's tokenizer_config.json.
    const TempDir dir("tokenizer-config");
    json tokenizer = json::parse(read_text(root / "tokenizers" / expected["family"].get<std::string>() /
                                           "tokenizer.json"));
    if (!expected["post_processor_kept"].get<bool>()) tokenizer["post_processor"] = nullptr;
    std::ofstream(dir.file("tokenizer.json")) << tokenizer.dump();
    std::ofstream(dir.file("tokenizer_config.json")) << read_text(entry.path() / "tokenizer_config.json");
    const auto encoder = tokenizer_for_model(dir.path(), 1000);
    for (const json& c : expected["cases"]) {
      INFO("text " << c["text"].get<std::string>());
      CHECK(ids_of(encoder->encode(c["text"].get<std::string>())) == c["ids"].get<std::vector<int64_t>>());
    }
    ++cases;
  }
  CHECK(cases >= 10);
}

TEST_CASE("tokenizer files without a tokenizer.json are refused, naming what to do", "[tokenizer][errors]") {
  for (const char* name : {"tokenizer.model", "vocab.json", "merges.txt", "tokenizer_config.json"}) {
    INFO(name);
    const TempDir dir("tokenizer-files");
    std::ofstream(dir.file(name)) << "{}";
    CHECK_THROWS_AS(tokenizer_for_model(dir.path(), 32000), InputError);
    CHECK_THROWS_WITH(tokenizer_for_model(dir.path(), 32000),
                      Catch::Contains(name) && Catch::Contains("tokenizer.json") && Catch::Contains("--token-ids"));
  }
  // A folder with no tokenizer files at all keeps the byte-level tokenizer (the test checkpoints use it).
  const TempDir bare("tokenizer-none");
  CHECK(tokenizer_for_model(bare.path(), 300)->name() == ByteTokenizer().name());
}
