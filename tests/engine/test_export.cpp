// Tests of the exporters: --maps tensor names, shapes and values, the stats JSON and CSV. Any thread.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "temp_dir.h"
#include "test_device.h"
#include "export.h"
#include "model.h"
#include "safetensors.h"
#include "tokenizer.h"

using namespace diffscope;

namespace {
std::vector<float> floats(const SafetensorsFile& f, const std::string& name, std::vector<int64_t> shape) {
  const TensorInfo* t = f.find(name);
  REQUIRE(t != nullptr);
  CHECK(t->dtype == DType::F32);
  CHECK(t->shape == shape);
  std::vector<float> v(static_cast<size_t>(t->numel()));
  std::memcpy(v.data(), f.data(*t), v.size() * sizeof(float));
  return v;
}
}  // namespace

TEST_CASE("Diff maps are written with the names Python users load", "[export]") {
  auto model = Model::load(std::string(DIFFSCOPE_FIXTURES) + "/hf/diffllama_gqa_tied", test_load_options());
  CaptureRequest request;
  request.span = TokenSpan{1, 3};
  const AttentionSnapshot snap = model->run(ByteTokenizer().encode("maps out"), request);
  const TempDir dir("export");
  const std::string path = dir.file("maps.safetensors");
  write_maps_safetensors(path, snap);
  auto file = SafetensorsFile::open(path);
  CHECK(file->tensors().size() == 1 + 4 * 4);  // logits + 4 layers x (attn1, attn2, diff, lambda)
  CHECK(floats(*file, "logits", {8, 300}) == snap.logits.values);
  const std::vector<float> diff = floats(*file, "layer.2.diff", {4, 8, 8});
  CHECK(std::vector<float>(diff.begin() + 64 * 3, diff.end()) == snap.layers[2].diff[3].values);
  CHECK(floats(*file, "layer.3.attn1", {4, 8, 8}).front() == snap.layers[3].attn1[0].values.front());
  CHECK(floats(*file, "layer.0.lambda", {4, 8}) == snap.layers[0].lambda.values);
  CHECK(file->find("layer.0.attn") == nullptr);

  const nlohmann::json stats = nlohmann::json::parse(stats_json(snap));
  CHECK(stats["model"]["model_type"] == "diffllama");
  CHECK(stats["tokens"].size() == 8);
  CHECK(stats["tokens"][1]["bytes"] == nlohmann::json::array({1, 2}));
  CHECK(stats["layers"][1]["lambda_init"].get<double>() == Approx(0.3555).margin(1e-4));
  CHECK(stats["layers"][1]["diff"][2]["signal"].get<double>() == Approx(snap.layers[1].stats_diff[2].signal));
  for (const char* key : {"entropy", "sink_mass", "max_attention", "distance", "signal", "noise", "noise_abs"}) {
    CHECK(stats["layers"][0]["attn1"][0].contains(key));
  }
  CHECK(stats["layers"][0]["attn_logits"].contains("top10"));

  write_stats_csv(dir.file("stats.csv"), snap);
  std::ifstream csv(dir.file("stats.csv"));
  std::string header, line;
  std::getline(csv, header);
  CHECK(header == "layer,head,map,entropy,sink_mass,max_attention,distance,signal,noise,noise_abs,lambda");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  CHECK(rows == 4 * 4 * 3);
}

TEST_CASE("a standard model writes layer.{i}.attn and NaN statistics as null", "[export]") {
  auto model = Model::load(std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_gqa_tied", test_load_options());
  const AttentionSnapshot snap = model->run(ByteTokenizer().encode("abc"), CaptureRequest{});
  const nlohmann::json stats = nlohmann::json::parse(stats_json(snap));
  CHECK(stats["layers"][0]["attn"][0]["signal"].is_null());  // no span given
  CHECK_FALSE(stats["layers"][0].contains("lambda"));
  CHECK_THROWS_AS(write_stats_json("/nonexistent-dir/stats.json", snap), FileError);
}
