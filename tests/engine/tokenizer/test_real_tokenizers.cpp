// Published tokenizer.json files (Qwen, Gemma, Llama, Mistral, DeepSeek, GPT-2; trimmed to the hard texts of
// tests/fixtures/tokenizers/real/texts.json) against the ids HF tokenizers gave for those texts. Any thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/hf_tokenizer.h"
#include "tokenizer.h"

using namespace diffscope;
using json = nlohmann::json;

namespace {

const std::filesystem::path kRealRoot = std::filesystem::path(DIFFSCOPE_FIXTURES) / "tokenizers" / "real";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<int64_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int64_t> ids;
  for (const Token& t : tokens) ids.push_back(t.id);
  return ids;
}

// "" when equal, else where the two first differ: a short message instead of two whole vectors.
std::string first_difference(const std::vector<int64_t>& got, const std::vector<int64_t>& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  std::ostringstream s;
  s << "first difference at position " << i << " of " << want.size() << " (engine "
    << (i < got.size() ? std::to_string(got[i]) : std::string("<end>")) << ", HF "
    << (i < want.size() ? std::to_string(want[i]) : std::string("<end>")) << "; engine gave " << got.size()
    << " ids)";
  return s.str();
}

struct Mismatch {
  std::string family;
  size_t text_index = 0;
  std::string text_name;
  std::string what;
};

// Every text of texts.json through one family's tokenizer, with and without the post-processor's special tokens.
std::vector<Mismatch> check_family(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                   const std::map<std::string, std::string>& text_by_name, size_t* cases) {
  const std::string family = dir.filename().string();
  std::vector<Mismatch> mismatches;
  const auto tok = HfTokenizer::from_file((dir / "tokenizer.json").string());
  const json expected = json::parse(read_file(dir / "expected.json"));
  for (const json& c : expected.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    const auto index = static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
    if (index == names.size()) {
      mismatches.push_back({family, index, name, "is not in texts.json: run make_real_fixtures.mjs again"});
      continue;
    }
    ++*cases;
    const std::string& text = text_by_name.at(name);
    std::string what;
    try {
      const std::string with = first_difference(ids_of(tok->encode(text)), c.at("ids").get<std::vector<int64_t>>());
      const std::string without = first_difference(ids_of(tok->encode_continuation(text)),
                                                   c.at("ids_without_special").get<std::vector<int64_t>>());
      if (!with.empty()) what = "with special tokens: " + with;
      if (!without.empty()) what += (what.empty() ? "" : "; ") + std::string("without: ") + without;
    } catch (const std::exception& e) {
      what = std::string("threw: ") + e.what();
    }
    if (!what.empty()) mismatches.push_back({family, index, name, what});
  }
  return mismatches;
}

}  // namespace

TEST_CASE("published tokenizers give HF's ids on every hard text", "[hf_tokenizer][real_tokenizers]") {
  const json texts = json::parse(read_file(kRealRoot / "texts.json"));
  std::vector<std::string> names;
  std::map<std::string, std::string> text_by_name;
  for (const json& t : texts.at("texts")) {
    names.push_back(t.at("name").get<std::string>());
    text_by_name[names.back()] = t.at("text").get<std::string>();
  }
  REQUIRE(names.size() >= 40);

  std::vector<std::filesystem::path> families;
  for (const auto& entry : std::filesystem::directory_iterator(kRealRoot)) {
    if (std::filesystem::exists(entry.path() / "expected.json")) families.push_back(entry.path());
  }
  std::sort(families.begin(), families.end());
  CHECK(families.size() == 4);  // the committed families tests/fixtures/tokenizers/README.md lists

  size_t cases = 0;
  std::vector<Mismatch> mismatches;
  for (const auto& dir : families) {
    size_t family_cases = 0;
    for (Mismatch& m : check_family(dir, names, text_by_name, &family_cases)) mismatches.push_back(std::move(m));
    INFO(dir.filename().string());
    CHECK(family_cases == names.size());  // every text has HF's ids
    cases += family_cases;
  }
  for (const Mismatch& m : mismatches) {
    UNSCOPED_INFO(m.family << ": text " << m.text_index << " (" << m.text_name << ") " << m.what);
  }
  INFO(mismatches.size() << " of " << cases << " family/text pairs differ from HF");
  CHECK(mismatches.empty());
}

TEST_CASE("the real fixtures keep added and special tokens as HF numbers them", "[hf_tokenizer][real_tokenizers]") {
  // HF tokenizers 0.23.2 on the published (untrimmed) files: Qwen 3's <|im_end|> is 151645 (outside its model.vocab,
  // numbered by HF after the vocabulary).
  const auto qwen3 = HfTokenizer::from_file((kRealRoot / "qwen3" / "tokenizer.json").string());
  CHECK(ids_of(qwen3->encode("<|im_end|>")) == std::vector<int64_t>{151645});
}
