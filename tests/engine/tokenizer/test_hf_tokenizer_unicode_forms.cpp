// Tests of the HF tokenizer's Unicode normalizers (NFC, NFD, NFKC, NFKD through libutf8proc): the forms on the
// Unicode Standard's own examples, the independent pieces that keep byte offsets, and a Qwen-style tokenizer.json
// (NFC + Split + ByteLevel) on non-ASCII text with ids and spans derived by hand. Any thread.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/hf_tokenizer_unicode_forms.h"

using namespace diffscope;
using json = nlohmann::json;

namespace {

std::string nfc(const std::string& s) { return unicode_normalize(s, UnicodeForm::NFC); }
std::string nfd(const std::string& s) { return unicode_normalize(s, UnicodeForm::NFD); }
std::string nfkc(const std::string& s) { return unicode_normalize(s, UnicodeForm::NFKC); }
std::string nfkd(const std::string& s) { return unicode_normalize(s, UnicodeForm::NFKD); }

using Ids = std::vector<int64_t>;
using Spans = std::vector<std::pair<int64_t, int64_t>>;

}  // namespace

// Expected values: Unicode Standard Annex #15 "Unicode Normalization Forms", section 1.2 figures 3 to 6 (the
// tables of examples for each form), and for Hangul the Unicode Standard chapter 3.12 "Conjoining Jamo Behavior".
TEST_CASE("the four forms on the Unicode Standard's examples", "[hf_tokenizer][unicode]") {
  // Canonical composites (UAX #15 figure 3): U+00C5 Å <-> A + U+030A, U+00F4 ô <-> o + U+0302.
  CHECK(nfd("\u00c5") == "A\u030a");
  CHECK(nfc("A\u030a") == "\u00c5");
  CHECK(nfd("\u00f4") == "o\u0302");
  CHECK(nfc("o\u0302") == "\u00f4");
  // e + combining acute composes to U+00E9 é under NFC and NFKC.
  CHECK(nfc("e\u0301") == "\u00e9");
  CHECK(nfkc("e\u0301") == "\u00e9");
  // Singletons (figure 4): U+212B ANGSTROM SIGN and U+2126 OHM SIGN never come back.
  CHECK(nfd("\u212b") == "A\u030a");
  CHECK(nfc("\u212b") == "\u00c5");
  CHECK(nfc("\u2126") == "\u03a9");
  // Multiple combining marks (figure 5): reordered by combining class, composed where possible.
  CHECK(nfd("\u1e69") == "s\u0323\u0307");
  CHECK(nfc("s\u0323\u0307") == "\u1e69");
  CHECK(nfd("\u1e0b\u0323") == "d\u0323\u0307");
  CHECK(nfc("\u1e0b\u0323") == "\u1e0d\u0307");
  CHECK(nfc("q\u0307\u0323") == "q\u0323\u0307");
  // Compatibility composites (figure 6): the ligature U+FB01 is kept by NFC/NFD, split by NFKC/NFKD; superscript
  // five becomes 5; U+1E9B U+0323 in all four forms.
  CHECK(nfc("\ufb01") == "\ufb01");
  CHECK(nfd("\ufb01") == "\ufb01");
  CHECK(nfkc("\ufb01") == "fi");
  CHECK(nfkd("\ufb01") == "fi");
  CHECK(nfkc("5\u2075") == "55");
  CHECK(nfd("\u1e9b\u0323") == "\u017f\u0323\u0307");
  CHECK(nfc("\u1e9b\u0323") == "\u1e9b\u0323");
  CHECK(nfkd("\u1e9b\u0323") == "s\u0323\u0307");
  CHECK(nfkc("\u1e9b\u0323") == "\u1e69");
  // Hangul (chapter 3.12): U+D4DB decomposes into L + V + T jamo, U+AC00 into L + V; the jamo compose back.
  CHECK(nfd("\ud4db") == "\u1111\u1171\u11b6");
  CHECK(nfc("\u1111\u1171\u11b6") == "\ud4db");
  CHECK(nfd("\uac00") == "\u1100\u1161");
  CHECK(nfkd("\uac00") == "\u1100\u1161");
  // ASCII and the empty text are left as they are; NUL bytes are kept (the length is explicit).
  CHECK(nfkc("Hello, world!") == "Hello, world!");
  CHECK(nfc("").empty());
  CHECK(nfc(std::string("a\0e\u0301", 5)) == std::string("a\0\u00e9", 4));
}

TEST_CASE("pieces that normalize independently: a letter with its marks, a syllable's jamo", "[hf_tokenizer][unicode]") {
  // "cafe" + U+0301 (bytes 63 61 66 65 CC 81): only "e" + the mark changes, into é (C3 A9).
  auto pieces = unicode_form_pieces("cafe\u0301", UnicodeForm::NFC);
  REQUIRE(pieces.size() == 1);
  CHECK(pieces[0].begin == 3);
  CHECK(pieces[0].end == 6);
  CHECK(pieces[0].normalized == "\u00e9");
  // Hangul L + V + T (three starters, 3 bytes each) compose into one syllable: one piece of 9 bytes.
  pieces = unicode_form_pieces("x\u1100\u1161\u11a8y", UnicodeForm::NFC);
  REQUIRE(pieces.size() == 1);
  CHECK(pieces[0].begin == 1);
  CHECK(pieces[0].end == 10);
  CHECK(pieces[0].normalized == "\uac01");
  // Each decomposed character is its own piece under NFD; unchanged text between them is no piece.
  pieces = unicode_form_pieces("\u00c5 \uac00", UnicodeForm::NFD);
  REQUIRE(pieces.size() == 2);
  CHECK((pieces[0].begin == 0 && pieces[0].end == 2 && pieces[0].normalized == "A\u030a"));
  CHECK((pieces[1].begin == 3 && pieces[1].end == 6 && pieces[1].normalized == "\u1100\u1161"));
  // A mark that composes past another (a + U+0334 ccc 1 + U+0301 ccc 230 -> á + U+0334) stays in one piece.
  pieces = unicode_form_pieces("a\u0334\u0301", UnicodeForm::NFC);
  REQUIRE(pieces.size() == 1);
  CHECK(pieces[0].normalized == "\u00e1\u0334");
  // Already normalized and ASCII text: no pieces.
  CHECK(unicode_form_pieces("caf\u00e9", UnicodeForm::NFC).empty());
  CHECK(unicode_form_pieces("plain", UnicodeForm::NFKD).empty());
  CHECK(unicode_form_pieces("", UnicodeForm::NFC).empty());
}

namespace {

// Qwen 2 / 3 style: NFC normalizer, Split with Qwen's pattern (digits one by one), ByteLevel without its regex,
// ByteLevel post-processor (no BOS). Byte-level characters: C3 -> Ã (U+00C3), A9 -> © (U+00A9), space -> Ġ
// (U+0120), 85 -> ħ (U+0127: 0x85 is the 40th byte outside GPT-2's printable set, 33 below 0x7F + 7 from 0x7F).
json qwen_style() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 13, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": false, "special": true}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
       "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
    "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
      "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
      "vocab": {"c": 0, "a": 1, "f": 2, "\u00c3": 3, "\u00a9": 4, "ca": 5, "caf": 6, "\u00c3\u00a9": 7,
                "\u0120": 8, "\u0127": 9, "\u00c3\u0127": 10, "\u0120\u00c3\u0127": 11, "e": 12},
      "merges": [["c", "a"], ["ca", "f"], ["\u00c3", "\u00a9"], ["\u00c3", "\u0127"], ["\u0120", "\u00c3\u0127"]]}
  })");
}

std::vector<int64_t> ids_of(const std::vector<Token>& tokens) {
  std::vector<int64_t> ids;
  for (const auto& t : tokens) ids.push_back(t.id);
  return ids;
}

Spans spans_of(const std::vector<Token>& tokens) {
  Spans spans;
  for (const auto& t : tokens) spans.emplace_back(t.byte_begin, t.byte_end);
  return spans;
}

}  // namespace

TEST_CASE("Qwen style: NFC before the split, spans back to the prompt's bytes", "[hf_tokenizer][unicode]") {
  const auto tok = HfTokenizer::from_json_text(qwen_style().dump(), "qwen.json");
  // "cafe" + U+0301 + " " + U+212B ANGSTROM SIGN (10 bytes). NFC gives "café Å": the words "café" and " Å"
  // (Split), byte-level "cafÃ©" and "ĠÃħ"; merges give caf (6) + Ã© (7), and Ġ + Ãħ -> ĠÃħ (11).
  // Spans: caf is bytes 0-3; é comes from e + U+0301, bytes 3-6; " Å" from the space and U+212B, bytes 6-10.
  const auto decomposed = tok->encode("cafe\u0301 \u212b");
  CHECK(ids_of(decomposed) == Ids{6, 7, 11});
  CHECK(spans_of(decomposed) == Spans{{0, 3}, {3, 6}, {6, 10}});
  CHECK(decomposed[1].text == "\u00e9");
  CHECK(decomposed[2].text == " \u00c5");
  // The composed spelling (U+00E9, U+00C5) gives the same ids, with its own shorter spans.
  const auto composed = tok->encode("caf\u00e9 \u00c5");
  CHECK(ids_of(composed) == Ids{6, 7, 11});
  CHECK(spans_of(composed) == Spans{{0, 3}, {3, 5}, {5, 8}});
  // An added token is matched before normalization; the text after it is normalized on its own.
  const auto special = tok->encode("<|endoftext|>e\u0301");
  CHECK(ids_of(special) == Ids{13, 7});
  CHECK(spans_of(special) == Spans{{0, 13}, {13, 16}});
  // The empty text gives HF's ids: no BOS in Qwen's post-processor, so none.
  CHECK(tok->encode("").empty());
}

TEST_CASE("NFKC and NFD normalizers in a tokenizer.json", "[hf_tokenizer][unicode]") {
  json doc = qwen_style();
  doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFKC"}}})}};
  // U+FB01 (ﬁ, 3 bytes) becomes "fi" under NFKC; with the vocabulary's f (2) and no "i", HF drops the unknown i.
  // Both characters come from the ligature, bytes 0-3.
  auto tokens = HfTokenizer::from_json_text(doc.dump(), "nfkc.json")->encode("\ufb01");
  CHECK(ids_of(tokens) == Ids{2});
  CHECK(spans_of(tokens) == Spans{{0, 3}});
  doc["normalizer"] = {{"type", "NFD"}};
  // é (U+00E9) decomposes to e + U+0301 (CC 81, byte-level Ì + ģ, not in the vocabulary): "caf" then "e".
  tokens = HfTokenizer::from_json_text(doc.dump(), "nfd.json")->encode("caf\u00e9");
  CHECK(ids_of(tokens) == Ids{6, 12});
  CHECK(spans_of(tokens) == Spans{{0, 3}, {3, 5}});
}
