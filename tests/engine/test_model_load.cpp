// Tests that a broken checkpoint folder is refused with a message naming the file, tensor and shapes. Any thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "temp_dir.h"
#include "test_device.h"
#include "model.h"
#include "safetensors.h"

using namespace diffscope;

namespace {

const std::string kSource = std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_gqa_tied";

// A copy of the llama_gqa_tied fixture in a fresh folder, with its tensors passed through `edit` before writing.
struct BrokenCheckpoint {
  TempDir dir;
  template <typename Edit>
  explicit BrokenCheckpoint(const std::string& tag, Edit edit) : dir("load-" + tag) {
    REQUIRE_FALSE(dir.path().empty());
    std::ifstream config(kSource + "/config.json", std::ios::binary);
    std::ofstream(dir.file("config.json"), std::ios::binary) << config.rdbuf();
    auto source = SafetensorsFile::open(kSource + "/model.safetensors");
    std::vector<TensorToWrite> tensors;
    for (const TensorInfo& t : source->tensors()) tensors.push_back({t.name, t.dtype, t.shape, source->data(t)});
    edit(tensors);
    write_safetensors(dir.file("model.safetensors"), tensors);
  }
};

}  // namespace

TEST_CASE("a missing tensor is named with its expected shape", "[load][errors]") {
  BrokenCheckpoint ckpt("missing", [](std::vector<TensorToWrite>& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const TensorToWrite& w) {
              return w.name == "model.layers.1.self_attn.k_proj.weight";
            }), t.end());
  });
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()),
                    Catch::Contains("\"model.layers.1.self_attn.k_proj.weight\" is missing (expected shape [32, 64])"));
}

TEST_CASE("a mis-shaped tensor names the expected and the found shape", "[load][errors]") {
  BrokenCheckpoint ckpt("shape", [](std::vector<TensorToWrite>& t) {
    for (auto& w : t) {
      if (w.name == "model.layers.0.mlp.up_proj.weight") w.shape = {64, 96};  // transposed: same byte count
    }
  });
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()),
                    Catch::Contains("\"model.layers.0.mlp.up_proj.weight\" has shape [64, 96], expected [96, 64]"));
}

TEST_CASE("a weight of a non-float dtype is refused", "[load][errors]") {
  std::vector<int32_t> ints(64, 1);
  BrokenCheckpoint ckpt("dtype", [&](std::vector<TensorToWrite>& t) {
    for (auto& w : t) {
      if (w.name == "model.norm.weight") {
        w.dtype = DType::I32;
        w.data = ints.data();
      }
    }
  });
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()), Catch::Contains("\"model.norm.weight\" has dtype I32"));
}

TEST_CASE("an untied model without lm_head.weight says so", "[load][errors]") {
  BrokenCheckpoint ckpt("untied", [](std::vector<TensorToWrite>&) {});
  std::ifstream in(ckpt.dir.file("config.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const size_t at = text.find("\"tie_word_embeddings\": true");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::strlen("\"tie_word_embeddings\": true"), "\"tie_word_embeddings\": false");
  std::ofstream(ckpt.dir.file("config.json")) << text;
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()), Catch::Contains("\"lm_head.weight\" is missing"));
}

TEST_CASE("a truncated safetensors file and a missing folder are file errors", "[load][errors]") {
  BrokenCheckpoint ckpt("truncated", [](std::vector<TensorToWrite>&) {});
  const std::string file = ckpt.dir.file("model.safetensors");
  struct stat info {};
  REQUIRE(stat(file.c_str(), &info) == 0);
  REQUIRE(truncate(file.c_str(), info.st_size - 100) == 0);
  CHECK_THROWS_AS(Model::load(ckpt.dir.path(), test_load_options()), FileError);
  CHECK_THROWS_WITH(Model::load("/nonexistent/model", test_load_options()), Catch::Contains("cannot open"));
}

TEST_CASE("a sharded checkpoint loads through model.safetensors.index.json", "[load]") {
  BrokenCheckpoint ckpt("sharded", [](std::vector<TensorToWrite>&) {});
  // Split the file in two shards by tensor name.
  auto whole = SafetensorsFile::open(ckpt.dir.file("model.safetensors"));
  std::vector<TensorToWrite> first, second;
  std::string index = "{\"weight_map\": {";
  for (const TensorInfo& t : whole->tensors()) {
    const bool in_first = t.name.find("layers.1.") == std::string::npos;
    (in_first ? first : second).push_back({t.name, t.dtype, t.shape, whole->data(t)});
    index += (index.back() == '{' ? "" : ", ") + ("\"" + t.name + "\": \"") +
             (in_first ? "model-00001-of-00002.safetensors\"" : "model-00002-of-00002.safetensors\"");
  }
  index += "}}";
  write_safetensors(ckpt.dir.file("model-00001-of-00002.safetensors"), first);
  write_safetensors(ckpt.dir.file("model-00002-of-00002.safetensors"), second);
  whole.reset();
  REQUIRE(unlink(ckpt.dir.file("model.safetensors").c_str()) == 0);
  std::ofstream(ckpt.dir.file("model.safetensors.index.json")) << index;
  auto sharded = Model::load(ckpt.dir.path(), test_load_options());
  auto reference = Model::load(kSource, test_load_options());
  std::vector<Token> tokens(3);
  for (int i = 0; i < 3; ++i) tokens[static_cast<size_t>(i)].id = 40 + i;
  CHECK(sharded->run(tokens, CaptureRequest{}).logits.values == reference->run(tokens, CaptureRequest{}).logits.values);
}

TEST_CASE("an index naming a shard outside the model folder is refused (issue 12)", "[load][errors]") {
  BrokenCheckpoint ckpt("escape", [](std::vector<TensorToWrite>&) {});
  REQUIRE(unlink(ckpt.dir.file("model.safetensors").c_str()) == 0);
  for (const char* shard : {"../../../../etc/passwd", "/etc/passwd", "..", "sub/model.safetensors"}) {
    INFO("shard " << shard);
    std::ofstream(ckpt.dir.file("model.safetensors.index.json"))
        << "{\"weight_map\": {\"model.embed_tokens.weight\": \"" << shard << "\"}}";
    CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()),
                      Catch::Contains("not a file name in the model folder"));
  }
}

TEST_CASE("a FIFO named config.json or model.safetensors is refused at once, not waited on (issue 12)",
          "[load][errors]") {
  BrokenCheckpoint ckpt("fifo", [](std::vector<TensorToWrite>&) {});
  REQUIRE(unlink(ckpt.dir.file("model.safetensors").c_str()) == 0);
  REQUIRE(mkfifo(ckpt.dir.file("model.safetensors").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()), Catch::Contains("not a regular file"));
  REQUIRE(unlink(ckpt.dir.file("config.json").c_str()) == 0);
  REQUIRE(mkfifo(ckpt.dir.file("config.json").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(Model::load(ckpt.dir.path(), test_load_options()),
                    Catch::Contains("config.json: not a regular file"));
}
