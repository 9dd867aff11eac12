// Tests of engine/safetensors: writer round trips, hand-built valid and malformed files, a real fixture. Main thread.
#include <catch2/catch.hpp>

#include "temp_dir.h"

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "errors.h"
#include "safetensors.h"

namespace fs = std::filesystem;
using diffscope::DType;
using diffscope::FileError;
using diffscope::SafetensorsFile;
using diffscope::TensorToWrite;

namespace {


void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string u64_le(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(value >> (8 * i));
  return bytes;
}

// A safetensors file built by hand: 8-byte little-endian header length, the header text as given, the buffer.
std::string build_file(const std::string& dir_file, const std::string& header, const std::string& buffer) {
  write_bytes(dir_file, u64_le(header.size()) + header + buffer);
  return dir_file;
}

// Matches a FileError whose message starts with "<path>" and contains `phrase`.
class FileErrorMatcher : public Catch::MatcherBase<FileError> {
 public:
  FileErrorMatcher(std::string prefix, std::string phrase) : prefix_(std::move(prefix)), phrase_(std::move(phrase)) {}
  bool match(const FileError& error) const override {
    std::string message = error.what();
    return message.rfind(prefix_, 0) == 0 && message.find(phrase_) != std::string::npos;
  }
  std::string describe() const override { return "starts with \"" + prefix_ + "\" and contains \"" + phrase_ + "\""; }

 private:
  std::string prefix_, phrase_;
};

// Opens `path` and requires a FileError naming the file and containing each phrase.
void require_open_fails(const std::string& path, const std::vector<std::string>& phrases) {
  for (const std::string& phrase : phrases) {
    INFO("phrase: " << phrase);
    REQUIRE_THROWS_MATCHES(SafetensorsFile::open(path), FileError, FileErrorMatcher(path + ": ", phrase));
  }
}

}  // namespace

TEST_CASE("dtype names and sizes follow the safetensors table", "[safetensors]") {
  const std::vector<std::pair<std::string, size_t>> table = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"I16", 2}, {"U16", 2}, {"F16", 2},     {"BF16", 2},   {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
  };
  for (const auto& [name, size] : table) {
    INFO(name);
    DType dtype = DType::BOOL;
    REQUIRE(diffscope::dtype_from_name(name, &dtype));
    CHECK(diffscope::dtype_name(dtype) == name);
    CHECK(diffscope::dtype_size(dtype) == size);
  }
  DType unchanged = DType::I16;
  CHECK_FALSE(diffscope::dtype_from_name("f32", &unchanged));  // names are case-sensitive
  CHECK_FALSE(diffscope::dtype_from_name("F128", &unchanged));
  CHECK(unchanged == DType::I16);
}

TEST_CASE("numel of rank-0, empty and ordinary shapes", "[safetensors]") {
  diffscope::TensorInfo info;
  CHECK(info.numel() == 1);
  info.shape = {0, 5};
  CHECK(info.numel() == 0);
  info.shape = {2, 3, 4};
  CHECK(info.numel() == 24);
  // Issue 12: an empty tensor whose other dimensions multiply past int64 (signed overflow before the fix).
  info.shape = {int64_t{1} << 62, 4, 0};
  CHECK(info.numel() == 0);
}

TEST_CASE("a hand-built file opens with header order, offsets, metadata and data", "[safetensors]") {
  TempDir dir("safetensors");
  // Deliberately not sorted by offset and padded with spaces: "w" F32 [2] at [1, 9], "s" U8 rank-0 at [0, 1],
  // "e" I64 [0, 3] empty at [9, 9].
  std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},)"
      R"("s":{"dtype":"U8","shape":[],"data_offsets":[0,1]},)"
      R"("e":{"dtype":"I64","shape":[0,3],"data_offsets":[9,9]},)"
      R"("__metadata__":{"format":"pt","note":"hand"}}    )";
  float w[2] = {1.5f, -2.0f};
  std::string buffer(1, '\x7f');
  buffer.append(reinterpret_cast<const char*>(w), sizeof w);
  auto file = SafetensorsFile::open(build_file(dir.file("hand.safetensors"), header, buffer));

  REQUIRE(file->tensors().size() == 3);
  CHECK(file->tensors()[0].name == "w");
  CHECK(file->tensors()[1].name == "s");
  CHECK(file->tensors()[2].name == "e");

  const diffscope::TensorInfo* tw = file->find("w");
  REQUIRE(tw != nullptr);
  CHECK(tw->dtype == DType::F32);
  CHECK(tw->shape == std::vector<int64_t>{2});
  CHECK(tw->begin == 1);
  CHECK(tw->end == 9);
  float read_w[2];
  std::memcpy(read_w, file->data(*tw), sizeof read_w);
  CHECK(read_w[0] == 1.5f);
  CHECK(read_w[1] == -2.0f);

  const diffscope::TensorInfo* ts = file->find("s");
  REQUIRE(ts != nullptr);
  CHECK(ts->dtype == DType::U8);
  CHECK(ts->shape.empty());
  CHECK(ts->numel() == 1);
  CHECK(*file->data(*ts) == 0x7f);

  const diffscope::TensorInfo* te = file->find("e");
  REQUIRE(te != nullptr);
  CHECK(te->shape == std::vector<int64_t>{0, 3});
  CHECK(te->numel() == 0);

  CHECK(file->find("missing") == nullptr);
  CHECK(file->find("__metadata__") == nullptr);
  CHECK(file->metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"note", "hand"}});
}

TEST_CASE("a file with no tensors and an empty buffer is valid", "[safetensors]") {
  TempDir dir("safetensors");
  auto file = SafetensorsFile::open(build_file(dir.file("none.safetensors"), "{}", ""));
  CHECK(file->tensors().empty());
  CHECK(file->metadata().empty());
}

TEST_CASE("write then open round-trips dtypes, shapes, bytes and metadata", "[safetensors]") {
  TempDir dir("safetensors");
  const std::string path = dir.file("round.safetensors");
  const float f32[6] = {0.f, 1.f, -1.f, 3.25f, 1e-3f, 6.f};
  const uint16_t bf16[3] = {0x3f80, 0xc000, 0x7fc0};  // 1.0, -2.0, NaN as bfloat16 bit patterns
  const int64_t i64[2] = {-5, int64_t{1} << 40};
  const float scalar = 42.f;
  const std::vector<TensorToWrite> tensors = {
      {"a.f32", DType::F32, {2, 3}, f32}, {"b.bf16", DType::BF16, {3}, bf16},   {"c.i64", DType::I64, {2}, i64},
      {"d.scalar", DType::F32, {}, &scalar}, {"e.empty", DType::F32, {0, 4}, nullptr},
  };
  diffscope::write_safetensors(path, tensors, {{"format", "pt"}, {"source", "test"}});

  // Offsets by hand: 24 bytes of F32, 6 of BF16, 16 of I64, 4 for the scalar, 0 for the empty one = 50 bytes.
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(bytes[i]);
  CHECK((8 + header_size) % 8 == 0);
  CHECK(bytes.size() == 8 + header_size + 50);
  CHECK(bytes[8] == '{');

  auto file = SafetensorsFile::open(path);
  REQUIRE(file->tensors().size() == 5);
  const uint64_t expected_offsets[5][2] = {{0, 24}, {24, 30}, {30, 46}, {46, 50}, {50, 50}};
  const void* expected_data[5] = {f32, bf16, i64, &scalar, nullptr};
  for (size_t i = 0; i < 5; ++i) {
    const diffscope::TensorInfo& info = file->tensors()[i];
    INFO(info.name);
    CHECK(info.name == tensors[i].name);
    CHECK(info.dtype == tensors[i].dtype);
    CHECK(info.shape == tensors[i].shape);
    CHECK(info.begin == expected_offsets[i][0]);
    CHECK(info.end == expected_offsets[i][1]);
    const size_t size = info.end - info.begin;
    if (size > 0) CHECK(std::memcmp(file->data(info), expected_data[i], size) == 0);
  }
  CHECK(file->metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"source", "test"}});

  // Nothing is left behind besides the file itself (the temporary was renamed).
  size_t entries = std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator());
  CHECK(entries == 1);
}

TEST_CASE("the writer produces the exact header text, without metadata when there is none", "[safetensors]") {
  TempDir dir("safetensors");
  const std::string path = dir.file("exact.safetensors");
  const uint8_t values[3] = {1, 2, 3};
  diffscope::write_safetensors(path, {{"x", DType::U8, {3}, values}});
  // 53 characters of JSON, padded with 3 spaces to 56 so that 8 + 56 = 64 is a multiple of 8.
  const std::string json = R"({"x":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})";
  REQUIRE(json.size() == 53);
  CHECK(read_bytes(path) == u64_le(56) + json + "   " + "\x01\x02\x03");
}

TEST_CASE("the writer overwrites an existing file", "[safetensors]") {
  TempDir dir("safetensors");
  const std::string path = dir.file("again.safetensors");
  const int32_t first = 7, second = 9;
  diffscope::write_safetensors(path, {{"v", DType::I32, {}, &first}});
  diffscope::write_safetensors(path, {{"v", DType::I32, {}, &second}});
  auto file = SafetensorsFile::open(path);
  int32_t read = 0;
  std::memcpy(&read, file->data(*file->find("v")), 4);
  CHECK(read == 9);
}

TEST_CASE("writer errors", "[safetensors]") {
  const float value = 1.f;
  SECTION("a folder that does not exist") {
    REQUIRE_THROWS_MATCHES(
        diffscope::write_safetensors("/nonexistent-dir/x.safetensors", {{"v", DType::F32, {}, &value}}), FileError,
        FileErrorMatcher("cannot write /nonexistent-dir/x.safetensors: ", "No such file or directory"));
  }
  TempDir dir("safetensors");
  const std::string path = dir.file("bad.safetensors");
  SECTION("duplicate names") {
    REQUIRE_THROWS_MATCHES(
        diffscope::write_safetensors(path, {{"v", DType::F32, {}, &value}, {"v", DType::F32, {}, &value}}),
        FileError, FileErrorMatcher("cannot write " + path, "tensor 'v' appears twice"));
  }
  SECTION("null data for a tensor that has bytes") {
    REQUIRE_THROWS_MATCHES(diffscope::write_safetensors(path, {{"w", DType::F32, {2}, nullptr}}), FileError,
                           FileErrorMatcher("cannot write " + path, "tensor 'w' has no data but needs 8 bytes"));
  }
  SECTION("negative dimension") {
    REQUIRE_THROWS_MATCHES(diffscope::write_safetensors(path, {{"n", DType::F32, {-1}, &value}}), FileError,
                           FileErrorMatcher("cannot write " + path, "tensor 'n' has a negative dimension"));
  }
  SECTION("the reserved name") {
    REQUIRE_THROWS_MATCHES(diffscope::write_safetensors(path, {{"__metadata__", DType::F32, {}, &value}}),
                           FileError, FileErrorMatcher("cannot write " + path, "reserved name"));
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("malformed files are rejected with a message naming the file and the rule", "[safetensors]") {
  TempDir dir("safetensors");
  const std::string path = dir.file("model.safetensors");
  // A valid entry to combine with broken ones: 4 bytes of F32 at [0, 4].
  const std::string ok = R"("ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";

  SECTION("missing file") { require_open_fails(dir.file("absent.safetensors"), {"cannot open", "No such file"}); }
  SECTION("empty file") {
    write_bytes(path, "");
    require_open_fails(path, {"the file is 0 bytes, too short"});
  }
  SECTION("5-byte file") {
    write_bytes(path, std::string("\x02\0\0\0\0", 5));
    require_open_fails(path, {"the file is 5 bytes, too short"});
  }
  SECTION("header length past the end") {
    write_bytes(path, u64_le(100) + "{}");  // 10 bytes in all: 100 > 10 - 8
    require_open_fails(path, {"header length 100 is past the end of the file (size 10)", "truncated"});
  }
  SECTION("header length over 100,000,000") {
    write_bytes(path, u64_le(100000001) + "{}");
    require_open_fails(path, {"header length 100000001 is over the limit of 100000000 bytes"});
  }
  SECTION("header length of zero") {
    write_bytes(path, u64_le(0));
    require_open_fails(path, {"does not start with '{'"});
  }
  SECTION("header not JSON") {
    build_file(path, "{not json}", "");
    require_open_fails(path, {"the header is not valid JSON"});
  }
  SECTION("header JSON that is an array") {
    build_file(path, "[1, 2]", "");
    require_open_fails(path, {"does not start with '{'"});
  }
  SECTION("header that starts with '{' but is followed by more JSON") {
    build_file(path, "{} []", "");
    require_open_fails(path, {"the header is not valid JSON"});
  }
  SECTION("unknown dtype") {
    build_file(path, R"({"x":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", std::string(16, '\0'));
    require_open_fails(path, {"tensor 'x': unknown dtype 'F128'"});
  }
  SECTION("tensor entry not an object") {
    build_file(path, R"({"x":[1,2]})", "");
    require_open_fails(path, {"tensor 'x': is not a JSON object"});
  }
  SECTION("negative shape") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,0]}})", "");
    require_open_fails(path, {"tensor 'x': \"shape\" is not a list of non-negative integers (found number)"});
  }
  SECTION("a shape nested 100,000 deep (its error message dumped it recursively: stack overflow, issue 12)") {
    build_file(path, "{\"x\":{\"dtype\":\"F32\",\"shape\":" + std::string(100000, '[') + std::string(100000, ']') +
                         ",\"data_offsets\":[0,0]}}", "");
    require_open_fails(path, {"tensor 'x': \"shape\" is not a list of non-negative integers (found array)"});
  }
  SECTION("bytes after the header's object (found by fuzzing: the parser stops at a NUL, the key scan did not)") {
    build_file(path, std::string("{}\0\0 \"k\":[0,\"x\"]}", 18), "");
    require_open_fails(path, {"the header has bytes after its JSON object"});
  }
  SECTION("fractional shape") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", std::string(4, '\0'));
    require_open_fails(path, {"tensor 'x': \"shape\"", "non-negative integers"});
  }
  SECTION("data_offsets with three numbers") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", std::string(4, '\0'));
    require_open_fails(path, {"tensor 'x': data_offsets must be two non-negative integers"});
  }
  SECTION("data_offsets missing") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[1]}})", std::string(4, '\0'));
    require_open_fails(path, {"tensor 'x': data_offsets must be two"});
  }
  SECTION("begin > end") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", std::string(4, '\0'));
    require_open_fails(path, {"tensor 'x': data_offsets [4, 0] have begin > end"});
  }
  SECTION("byte count not matching the shape") {
    build_file(path, R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, '\0'));
    require_open_fails(path, {path + ": tensor 'x': data_offsets [0, 12] hold 12 bytes but F32 [2, 2] needs 16"});
  }
  SECTION("element count overflowing 64 bits") {
    build_file(path, R"({"x":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", "");
    require_open_fails(path, {"tensor 'x': shape [4294967296, 4294967296] has too many elements"});
  }
  SECTION("byte count overflowing 64 bits") {
    // 2^62 elements fit in int64, but 2^62 * 8 bytes do not fit in 64 bits.
    build_file(path, R"({"x":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", "");
    require_open_fails(path, {"tensor 'x'", "too many elements"});
  }
  SECTION("overlapping offsets") {
    build_file(path, "{" + ok + R"(,"y":{"dtype":"I16","shape":[2],"data_offsets":[2,6]}})", std::string(6, '\0'));
    require_open_fails(path, {"tensor 'y' [2, 6] overlaps tensor 'ok' [0, 4]"});
  }
  SECTION("an empty tensor inside another one overlaps it") {
    build_file(path, "{" + ok + R"(,"y":{"dtype":"I16","shape":[0],"data_offsets":[2,2]}})", std::string(4, '\0'));
    require_open_fails(path, {"tensor 'y' [2, 2] overlaps tensor 'ok' [0, 4]"});
  }
  SECTION("gap between tensors") {
    build_file(path, "{" + ok + R"(,"y":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})", std::string(8, '\0'));
    require_open_fails(path, {"gap of 2 bytes between tensor 'ok' [0, 4] and tensor 'y' [6, 8]"});
  }
  SECTION("first tensor not at offset 0") {
    build_file(path, R"({"x":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}})", std::string(5, '\0'));
    require_open_fails(path, {"gap of 3 bytes between the start of the buffer and tensor 'x' [3, 5]"});
  }
  SECTION("buffer truncated") {
    build_file(path, "{" + ok + "}", std::string(3, '\0'));
    require_open_fails(path, {"need a 4-byte data buffer but the file has 3", "truncated"});
  }
  SECTION("trailing bytes") {
    build_file(path, "{" + ok + "}", std::string(7, '\0'));
    require_open_fails(path, {"3 trailing bytes after the last tensor"});
  }
  SECTION("metadata value not a string") {
    build_file(path, "{" + ok + R"(,"__metadata__":{"format":"pt","epoch":3}})", std::string(4, '\0'));
    require_open_fails(path, {"__metadata__ value for key 'epoch' is not a string"});
  }
  SECTION("metadata not an object") {
    build_file(path, "{" + ok + R"(,"__metadata__":"pt"})", std::string(4, '\0'));
    require_open_fails(path, {"__metadata__ is not a JSON object"});
  }
  SECTION("a folder instead of a file") { require_open_fails(dir.path(), {"not a regular file"}); }
}

TEST_CASE("the llama_gqa_tied fixture opens", "[safetensors]") {
  const std::string path = std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_gqa_tied/model.safetensors";
  auto file = SafetensorsFile::open(path);
  const diffscope::TensorInfo* embed = file->find("model.embed_tokens.weight");
  REQUIRE(embed != nullptr);
  CHECK(embed->dtype == DType::F32);
  CHECK(embed->shape == std::vector<int64_t>{300, 64});
  CHECK(embed->end - embed->begin == 300 * 64 * 4);
  CHECK(file->metadata().at("format") == "pt");
}

TEST_CASE("a header of 200,000 entries opens in header order; a name listed twice is refused (issue 12)",
          "[safetensors]") {
  TempDir dir("safetensors-many");
  // Names in descending order, so header order differs from sorted order; every tensor empty at [0, 0].
  std::string header = "{";
  for (int i = 199999; i >= 0; --i) {
    header += "\"t" + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    header += i > 0 ? "," : "}";
  }
  auto file = SafetensorsFile::open(build_file(dir.file("many.safetensors"), header, ""));
  REQUIRE(file->tensors().size() == 200000);
  CHECK(file->tensors().front().name == "t199999");
  CHECK(file->tensors().back().name == "t0");
  const std::string twice = R"({"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                            R"("x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})";
  CHECK_THROWS_WITH(SafetensorsFile::open(build_file(dir.file("twice.safetensors"), twice, "")),
                    Catch::Contains("tensor 'x' is listed twice"));
}
