// Tests of the HF tokenizer.json tokenizer: hand-made tokenizers with hand-derived ids and spans, the refusals, and
// every text of tests/fixtures/tokenizers against the ids and spans HF tokenizers gave. Any thread.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "../temp_dir.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer.h"

using namespace diffscope;
using json = nlohmann::json;

namespace {

std::unique_ptr<HfTokenizer> load(const json& doc) { return HfTokenizer::from_json_text(doc.dump(), "test.json"); }

std::vector<int64_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int64_t> ids;
  for (const auto& t : tokens) ids.push_back(t.id);
  return ids;
}

std::vector<std::pair<int64_t, int64_t>> spans_of(const std::vector<Token>& tokens) {
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const auto& t : tokens) spans.emplace_back(t.byte_begin, t.byte_end);
  return spans;
}

using Spans = std::vector<std::pair<int64_t, int64_t>>;
using Ids = std::vector<int64_t>;

// GPT-2 style: byte-level BPE, merges as "a b" strings.
json gpt2_style() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": {"H": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "w": 5, "r": 6, "d": 7, "ll": 8, "He": 9, "llo": 10,
                "Hello": 11, "\u0120w": 12, "or": 13, "\u0120wor": 14, "!": 15, "\u00c3": 16, "\u00a9": 17},
      "merges": ["l l", "ll o", "H e", "He llo", "\u0120 w", "o r", "\u0120w or"]}
  })");
}

// Llama 2 / TinyLlama style: normalizer Prepend + Replace, byte fallback, merges as pairs, BOS template.
json llama2_style() {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  vocab["\u2581"] = 259;
  vocab["h"] = 260;
  vocab["i"] = 261;
  vocab["\u2581h"] = 262;
  vocab["\u2581hi"] = 263;
  json doc = json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [
      {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
    "normalizer": {"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "\u2581"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": null,
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
      "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
      "merges": [["\u2581", "h"], ["\u2581h", "i"]]}
  })");
  doc["model"]["vocab"] = vocab;
  return doc;
}

// Llama 3 style: Split with Llama 3's pattern, ByteLevel without its regex, ignore_merges, <|begin_of_text|>.
json llama3_style() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 6, "content": "<|begin_of_text|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
       "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "post_processor": {"type": "Sequence", "processors": [
      {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
      {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
       "pair": [],
       "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [6], "tokens": ["<|begin_of_text|>"]}}}]},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": true,
      "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "\u0120": 5, "<|begin_of_text|>": 6, "1": 7, "2": 8,
                "3": 9, "4": 10, "123": 11, "I": 12, "'": 13, "L": 14, "'LL": 15},
      "merges": ["a b"]}
  })");
}

}  // namespace

TEST_CASE("byte-level BPE applies merges by rank and maps bytes back for display", "[hf_tokenizer]") {
  const auto tok = load(gpt2_style());
  CHECK(tok->name() == "hf-bpe (tokenizer.json)");
  const auto tokens = tok->encode("Hello world!");
  CHECK(ids_of(tokens) == Ids{11, 14, 2, 7, 15});
  CHECK(spans_of(tokens) == Spans{{0, 5}, {5, 9}, {9, 10}, {10, 11}, {11, 12}});
  CHECK(tokens[1].text == " wor");
  // é is two bytes, each its own byte-level token; both span the whole character, as in HF.
  const auto accent = tok->encode("H\xC3\xA9");
  CHECK(ids_of(accent) == Ids{0, 16, 17});
  CHECK(spans_of(accent) == Spans{{0, 1}, {1, 3}, {1, 3}});
  CHECK(accent[1].text == "\\xC3");
  // A byte missing from the vocabulary, with no unk token, is dropped (HF does the same).
  CHECK(ids_of(tok->encode("Hz")) == Ids{0});
  // The empty text gives HF's ids: GPT-2's ByteLevel post-processor adds nothing, so none.
  CHECK(tok->encode("").empty());
  CHECK_THROWS_WITH(tok->encode("zz"), Catch::Contains("no tokens"));
}

TEST_CASE("Llama 2 style: prepended and replaced spaces, byte fallback, BOS", "[hf_tokenizer]") {
  const auto tok = load(llama2_style());
  const auto tokens = tok->encode("hi hi");
  CHECK(ids_of(tokens) == Ids{1, 263, 263});
  CHECK(spans_of(tokens) == Spans{{0, 0}, {0, 2}, {2, 5}});  // the prepended ▁ maps to the first character
  CHECK(tokens[0].text == "<s>");
  CHECK(tokens[2].text == " hi");

  const auto fallback = tok->encode("hi \xC3\xA9");
  CHECK(ids_of(fallback) == Ids{1, 263, 259, 3 + 0xC3, 3 + 0xA9});
  CHECK(spans_of(fallback) == Spans{{0, 0}, {0, 2}, {2, 3}, {3, 5}, {3, 5}});
  CHECK(fallback[3].text == "\\xC3");

  // A special token written in the text is one token; the text after it gets its own ▁ (as in HF).
  // The empty text: the template's BOS alone, as HF's encode("") gives.
  const auto empty = tok->encode("");
  CHECK(ids_of(empty) == Ids{1});
  CHECK(spans_of(empty) == Spans{{0, 0}});
  CHECK_THROWS_WITH(encode_prompt(*tok, ""), Catch::Contains("the prompt is empty"));  // a run still refuses it

  const auto special = tok->encode("<s>hi");
  CHECK(ids_of(special) == Ids{1, 1, 263});
  CHECK(spans_of(special) == Spans{{0, 0}, {0, 3}, {3, 5}});

  // Invalid UTF-8 becomes U+FFFD (EF BF BD), whose byte-fallback tokens span the original bad byte.
  const auto invalid = tok->encode("hi\xFF");
  CHECK(ids_of(invalid) == Ids{1, 263, 3 + 0xEF, 3 + 0xBF, 3 + 0xBD});
  CHECK(spans_of(invalid) == Spans{{0, 0}, {0, 2}, {2, 3}, {2, 3}, {2, 3}});
}

TEST_CASE("a continuation's tokens: no BOS from the post-processor; special tokens in the text stay", "[hf_tokenizer]") {
  const auto tok = load(llama2_style());
  CHECK(ids_of(tok->encode_continuation("hi hi")) == Ids{263, 263});
  CHECK(spans_of(tok->encode_continuation("hi hi")) == Spans{{0, 2}, {2, 5}});
  CHECK(ids_of(tok->encode_continuation("<s>hi")) == Ids{1, 263});
  CHECK(ids_of(load(llama3_style())->encode_continuation("abc 1234")) == Ids{4, 5, 11, 10});
  CHECK(tok->encode_continuation("").empty());
  ByteTokenizer bytes;  // has no special tokens: the same as encode
  CHECK(ids_of(bytes.encode_continuation(" 47")) == Ids{' ', '4', '7'});
}

TEST_CASE("Llama 3 style: split pattern, ignore_merges, case-insensitive contractions", "[hf_tokenizer]") {
  const auto tok = load(llama3_style());
  const auto tokens = tok->encode("abc 1234");
  CHECK(ids_of(tokens) == Ids{6, 4, 5, 11, 10});  // "abc" whole (ignore_merges), digits in threes
  CHECK(spans_of(tokens) == Spans{{0, 0}, {0, 3}, {3, 4}, {4, 7}, {7, 8}});
  CHECK(ids_of(tok->encode(" abc")) == Ids{6, 5, 3, 2});  // " abc" is not in the vocabulary: merges apply
  CHECK(ids_of(tok->encode("I'LL")) == Ids{6, 12, 15});
  CHECK(ids_of(tok->encode("<|begin_of_text|>abc")) == Ids{6, 6, 4});
}

TEST_CASE("merges in both JSON forms give the same ids", "[hf_tokenizer]") {
  json strings = llama2_style();
  strings["model"]["merges"] = {"\u2581 h", "\u2581h i"};
  CHECK(ids_of(load(strings)->encode("hi hi")) == ids_of(load(llama2_style())->encode("hi hi")));
  json pairs = gpt2_style();
  pairs["model"]["merges"] = json::array();
  const json strings_form = gpt2_style();
  for (const auto& m : strings_form["model"]["merges"]) {
    const std::string s = m.get<std::string>();
    pairs["model"]["merges"].push_back(json::array({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)}));
  }
  CHECK(ids_of(load(pairs)->encode("Hello world!")) == Ids{11, 14, 2, 7, 15});
}

TEST_CASE("Metaspace pre-tokenizer splits words and prepends only at the start", "[hf_tokenizer]") {
  json doc = llama2_style();
  doc["normalizer"] = nullptr;
  doc["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"},
                          {"split", true}};
  const auto tok = load(doc);
  CHECK(ids_of(tok->encode("hi hi")) == Ids{1, 263, 263});
  CHECK(spans_of(tok->encode("hi hi")) == Spans{{0, 0}, {0, 2}, {2, 5}});
  // After an added token the next piece does not start the prompt: no ▁ is prepended there.
  CHECK(ids_of(tok->encode("<s>hi")) == Ids{1, 1, 260, 261});
}

TEST_CASE("added tokens: normalized ones match normalized text; lstrip, rstrip and single_word", "[hf_tokenizer]") {
  json doc = gpt2_style();
  doc["model"]["vocab"]["<x>"] = 18;
  doc["added_tokens"] = json::array({
      {{"id", 18}, {"content", "<x>"}, {"single_word", false}, {"lstrip", true}, {"rstrip", true},
       {"normalized", false}, {"special", true}},
      {{"id", 19}, {"content", "wd"}, {"single_word", true}, {"lstrip", false}, {"rstrip", false},
       {"normalized", true}, {"special", false}}});
  const auto tok = load(doc);
  const auto stripped = tok->encode("He <x> !");
  CHECK(ids_of(stripped) == Ids{9, 18, 15});  // the spaces around <x> belong to it
  CHECK(spans_of(stripped) == Spans{{0, 2}, {2, 7}, {7, 8}});
  CHECK(stripped[1].text == "<x>");
  CHECK(ids_of(tok->encode("wd!")) == Ids{19, 15});
  CHECK(ids_of(tok->encode("wdd")) == Ids{5, 7, 7});  // not a single word there
}

TEST_CASE("Digits, Strip and truncation", "[hf_tokenizer]") {
  json doc = llama3_style();
  doc["pre_tokenizer"] = {{"type", "Sequence"},
                          {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", true}},
                                             {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  doc["normalizer"] = {{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}};
  const auto tok = load(doc);
  const auto tokens = tok->encode("  123  ");
  CHECK(ids_of(tokens) == Ids{6, 7, 8, 9});
  CHECK(spans_of(tokens) == Spans{{0, 0}, {2, 3}, {3, 4}, {4, 5}});
  doc["truncation"] = {{"direction", "Right"}, {"max_length", 3}, {"strategy", "LongestFirst"}, {"stride", 0}};
  CHECK(ids_of(load(doc)->encode("123")) == Ids{6, 7, 8});
}

TEST_CASE("unsupported features and broken files are refused by name", "[hf_tokenizer]") {
  json unigram = gpt2_style();
  unigram["model"] = {{"type", "Unigram"}, {"vocab", json::array()}};
  CHECK_THROWS_WITH(load(unigram), Catch::Contains("tokenizer model \"Unigram\" is not supported"));
  json bert = gpt2_style();
  bert["normalizer"] = {{"type", "BertNormalizer"}};
  CHECK_THROWS_WITH(load(bert), Catch::Contains("normalizer \"BertNormalizer\" is not supported"));
  json scripts = gpt2_style();
  scripts["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
  CHECK_THROWS_WITH(load(scripts), Catch::Contains("pre_tokenizer \"UnicodeScripts\" is not supported"));
  json roberta = gpt2_style();
  roberta["post_processor"] = {{"type", "RobertaProcessing"}};
  CHECK_THROWS_WITH(load(roberta), Catch::Contains("post_processor \"RobertaProcessing\" is not supported"));
  json dropout = gpt2_style();
  dropout["model"]["dropout"] = 0.1;
  CHECK_THROWS_WITH(load(dropout), Catch::Contains("dropout"));
  json nfc = gpt2_style();
  nfc["normalizer"] = {{"type", "NFC"}};
  CHECK(ids_of(load(nfc)->encode("Hello")) == Ids{11});
  json padded = gpt2_style();
  padded["padding"] = {{"strategy", {{"Fixed", 16}}}};
  CHECK_THROWS_WITH(load(padded), Catch::Contains("padding"));

  json bad_merge = gpt2_style();
  bad_merge["model"]["merges"].push_back("x y");
  CHECK_THROWS_AS(load(bad_merge), FileError);
  CHECK_THROWS_WITH(load(bad_merge), Catch::Contains("\"x\", which is not in the vocabulary"));
  CHECK_THROWS_AS(HfTokenizer::from_json_text("{not json", "t.json"), FileError);
  CHECK_THROWS_AS(HfTokenizer::from_json_text("{}", "t.json"), FileError);
  CHECK_THROWS_AS(HfTokenizer::from_file("/nonexistent/tokenizer.json"), FileError);
  // \C matches a single byte inside a UTF-8 character: it cut characters and read past them (ASan, issue 12).
  json backslash_c = gpt2_style();
  backslash_c["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\C"}}}, {"behavior", "Isolated"},
                                  {"invert", false}};
  CHECK_THROWS_WITH(load(backslash_c), Catch::Contains("does not compile"));
  // Normalizer sequences nested 20,000 deep grew to 24 GB before (a subtree copied per level): refused at once.
  std::string deep = gpt2_style().dump();
  const std::string nested = std::string(20000, '[') + std::string(20000, ']');
  deep.insert(deep.size() - 1, ", \"extra\": " + nested);
  CHECK_THROWS_WITH(HfTokenizer::from_json_text(deep, "t.json"), Catch::Contains("nested deeper than 64"));
}

TEST_CASE("byte fallback with a continuing-subword prefix keeps HF's ids and offsets inside the text (issue 12)",
          "[hf_tokenizer]") {
  // The prefix "##" is part of the byte-fallback symbol, so HF emits <0x23> <0x23> before the character's bytes;
  // the offsets used to count those affix bytes and ran past the text (std::out_of_range from substr).
  json doc = llama2_style();
  doc["model"]["continuing_subword_prefix"] = "##";
  doc["model"]["end_of_word_suffix"] = "</w>";
  doc["model"]["merges"] = json::array();  // merges would need the prefix on their right parts
  const auto tok = load(doc);
  const std::string text = "h\xC3\xA9";  // "hé": é is unknown, so it falls back to bytes
  std::vector<Token> tokens;
  REQUIRE_NOTHROW(tokens = tok->encode(text));
  for (const Token& t : tokens) {
    CHECK(t.byte_begin >= 0);
    CHECK(t.byte_end <= static_cast<int64_t>(text.size()) + 1);  // the prepended "\u2581" is not in the text
    CHECK(t.byte_begin <= t.byte_end);
  }
  // "##" + "é" + "</w>" as bytes: # # 0xC3 0xA9 < / w >, each a byte token, ids 3 + byte.
  std::vector<int64_t> ids;
  for (const Token& t : tokens) ids.push_back(t.id);
  const std::vector<int64_t> tail(ids.end() - 8, ids.end());
  CHECK(tail == std::vector<int64_t>{3 + '#', 3 + '#', 3 + 0xC3, 3 + 0xA9, 3 + '<', 3 + '/', 3 + 'w', 3 + '>'});
}

TEST_CASE("100,000 added tokens: the longest one at each position is found, leftmost first (issue 12)",
          "[hf_tokenizer]") {
  json doc = gpt2_style();  // 18 vocabulary entries, so HF numbers the added tokens from 18
  json added = json::array();
  for (int i = 0; i < 100000; ++i) {
    added.push_back({{"id", 18 + i}, {"content", "tok" + std::to_string(i) + "!"}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  added.push_back({{"id", 18 + 100000}, {"content", "tok1"}, {"single_word", false}, {"lstrip", false},
                   {"rstrip", false}, {"normalized", false}, {"special", true}});
  doc["added_tokens"] = added;
  const auto tok = load(doc);
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "Hello ";
  text += "tok12345! tok1 tok12";  // the longest match wins where several start at one position
  const std::vector<Token> tokens = tok->encode(text);
  std::vector<int64_t> added_ids;
  for (const Token& t : tokens) {
    if (t.id >= 18) added_ids.push_back(t.id);
  }
  CHECK(added_ids == std::vector<int64_t>{18 + 12345, 18 + 100000, 18 + 100000});
}

namespace {

json minimal_bpe(const json& vocab, const json& added_tokens) {
  json doc = json::parse(R"({"version": "1.0", "truncation": null, "padding": null, "normalizer": null,
    "pre_tokenizer": null, "post_processor": null, "decoder": null,
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "merges": []}})");
  doc["model"]["vocab"] = vocab;
  doc["added_tokens"] = added_tokens;
  return doc;
}

json added_token(int64_t id, const std::string& content) {
  return {{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},   {"normalized", false}, {"special", true}};
}

}  // namespace

TEST_CASE("added tokens get the ids HF tokenizers gives them, not the ids written in the file", "[hf_tokenizer]") {
  // Expected ids: HF tokenizers 0.23.2 (npm, Tokenizer.fromString + encode) on these same files. HF numbers an added
  // token outside model.vocab after the vocabulary's entry count and warns when the file says otherwise; the
  // published files agree with it, files edited by hand (or trimmed) need not.
  SECTION("outside the vocabulary: numbered from its entry count, in file order") {
    const auto tok =
        load(minimal_bpe({{"a", 0}, {"b", 1}}, json::array({added_token(100, "<x>"), added_token(101, "<y>")})));
    CHECK(ids_of(tok->encode("a<x><y>a")) == Ids{0, 2, 3, 0});
  }
  SECTION("in the vocabulary: the vocabulary's id") {
    const auto tok = load(minimal_bpe({{"a", 0}, {"b", 1}}, json::array({added_token(7, "a")})));
    CHECK(ids_of(tok->encode("a")) == Ids{0});
  }
  SECTION("gaps in the vocabulary's ids do not count, a repeated or empty content takes no id") {
    const auto tok = load(minimal_bpe(
        {{"a", 0}, {"b", 5}},
        json::array({added_token(6, ""), added_token(6, "<x>"), added_token(7, "<x>"), added_token(8, "<y>")})));
    CHECK(ids_of(tok->encode("a<x><y>")) == Ids{0, 2, 3});
    CHECK(tok->token_bytes(3) == "<y>");
  }
}

TEST_CASE("a FIFO named tokenizer.json is refused, not waited on (issue 12)", "[hf_tokenizer]") {
  TempDir dir("tokenizer-fifo");
  REQUIRE(mkfifo(dir.file("tokenizer.json").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(tokenizer_for_model(dir.path(), 300), Catch::Contains("not a regular file"));
}

TEST_CASE("a model folder with tokenizer.json gets the HF tokenizer", "[hf_tokenizer]") {
  const auto dir = std::filesystem::temp_directory_path() / "diffscope_test_hf_tokenizer";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << llama2_style().dump();
  const auto tok = tokenizer_for_model(dir.string(), 32000);
  CHECK(tok->name() == "hf-bpe (tokenizer.json)");
  CHECK(ids_of(tok->encode("hi")) == Ids{1, 263});
  std::filesystem::remove_all(dir);
}

// ---- reference data from HF tokenizers (tests/fixtures/tokenizers, made by make_tokenizer_fixtures.py) ----

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string base64_decode(const std::string& in) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const size_t v = alphabet.find(c);
    if (v == std::string::npos) continue;  // padding
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every fixture text gets HF's ids and spans in every tokenizer family", "[hf_tokenizer][fixtures]") {
  const std::filesystem::path root = std::filesystem::path(DIFFSCOPE_FIXTURES) / "tokenizers";
  const json texts = json::parse(read_file(root / "texts.json"));
  std::map<std::string, std::string> text_by_name;
  for (const auto& t : texts["texts"]) {
    text_by_name[t["name"].get<std::string>()] =
        t.contains("base64") ? base64_decode(t["base64"].get<std::string>()) : t["text"].get<std::string>();
  }
  REQUIRE(text_by_name.size() >= 20);
  int families = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (!std::filesystem::exists(entry.path() / "expected.json")) continue;
    ++families;
    const std::string family = entry.path().filename().string();
    const auto tok = HfTokenizer::from_file((entry.path() / "tokenizer.json").string());
    const json expected = json::parse(read_file(entry.path() / "expected.json"));
    for (const auto& c : expected["cases"]) {
      const std::string name = c["name"].get<std::string>();
      INFO(family << " / " << name);
      REQUIRE(text_by_name.count(name) == 1);
      const auto tokens = tok->encode(text_by_name[name]);
      CHECK(ids_of(tokens) == c["ids"].get<Ids>());
      Spans spans;
      for (const auto& s : c["spans"]) spans.emplace_back(s[0].get<int64_t>(), s[1].get<int64_t>());
      CHECK(spans_of(tokens) == spans);
    }
  }
  if (families == 0) WARN("no tests/fixtures/tokenizers/*/expected.json yet: run make_tokenizer_fixtures.py");
}

TEST_CASE("published byte-level and Metaspace vocabularies: tokens show decoded text and keep their vocabulary piece",
          "[hf_tokenizer][fixtures]") {
  const std::filesystem::path root = std::filesystem::path(DIFFSCOPE_FIXTURES) / "tokenizers";
  const std::string text = "The cat\nsat  down";
  struct Case {
    std::string family;
    std::string space_mark;  // what the vocabulary writes for a space: GPT-2's byte-level U+0120, Metaspace's U+2581
  };
  for (const Case& c : {Case{"gpt2", "\xC4\xA0"}, Case{"llama2", "\xE2\x96\x81"}, Case{"metaspace", "\xE2\x96\x81"}}) {
    const std::filesystem::path file = root / c.family / "tokenizer.json";
    if (!std::filesystem::exists(file)) {
      WARN("no " << file << ": skipped");
      continue;
    }
    INFO(c.family);
    const auto tokens = HfTokenizer::from_file(file.string())->encode(text);
    std::string shown, vocabulary;
    // The display text of a piece, by hand: the vocabulary's space mark is a space, GPT-2's U+010A and the byte
    // fallback <0x0A> a line break (escaped as the strip gets it), special tokens their names.
    auto decoded = [&](std::string piece) {
      for (const auto& [from, to] : {std::pair<std::string, std::string>{c.space_mark, " "}, {"\xC4\x8A", "\\n"},
                                     {"<0x0A>", "\\n"}}) {
        for (size_t at = piece.find(from); at != std::string::npos; at = piece.find(from, at + to.size())) {
          piece.replace(at, from.size(), to);
        }
      }
      return piece;
    };
    for (const Token& t : tokens) {
      INFO("token " << t.id << " text \"" << t.text << "\" piece \"" << t.piece << "\"");
      CHECK_FALSE(t.piece.empty());
      CHECK(t.text.find(c.space_mark) == std::string::npos);  // decoded: a space is a space
      CHECK(t.text == decoded(t.piece));
      if (t.byte_end > t.byte_begin) shown += t.text;          // the prompt's own tokens (not BOS)
      vocabulary += t.piece;
    }
    CHECK(vocabulary.find(c.space_mark) != std::string::npos);
    // The decoded texts spell the prompt (line break escaped as the strip gets it); Metaspace writes the prompt's
    // first word with the space it prepends.
    const std::string spelled = c.family == "gpt2" ? "The cat\\nsat  down" : " The cat\\nsat  down";
    CHECK(shown == spelled);
  }
}
