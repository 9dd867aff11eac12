// Tests of engine/generation_config: which EOS ids stop generation, read as transformers reads them.
#include <catch2/catch.hpp>

#include <fstream>

#include "errors.h"
#include "generation_config.h"
#include "temp_dir.h"

using namespace diffscope;
using Ids = std::vector<int64_t>;

TEST_CASE("generation_config.json decides the EOS ids when it exists, else config.json", "[generation_config]") {
  const std::string config = R"({"model_type": "llama", "eos_token_id": 2})";
  CHECK(parse_eos_token_ids("", config, "m") == Ids{2});
  CHECK(parse_eos_token_ids(R"({"eos_token_id": 7})", config, "m") == Ids{7});
  // Llama 3 style: several ids end a turn.
  CHECK(parse_eos_token_ids(R"({"eos_token_id": [128001, 128008, 128009]})", config, "m") ==
        Ids{128001, 128008, 128009});
  // A generation_config.json without the field means no EOS, even when config.json names one (HF does the same).
  CHECK(parse_eos_token_ids(R"({"bos_token_id": 1})", config, "m").empty());
  CHECK(parse_eos_token_ids(R"({"eos_token_id": null})", config, "m").empty());
  CHECK(parse_eos_token_ids("", R"({"model_type": "llama"})", "m").empty());
  CHECK(parse_eos_token_ids("", "", "m").empty());
}

TEST_CASE("a malformed EOS field or file names the file and what is wrong", "[generation_config][errors]") {
  CHECK_THROWS_WITH(parse_eos_token_ids(R"({"eos_token_id": "</s>"})", "", "m"),
                    Catch::Contains("m/generation_config.json") && Catch::Contains("eos_token_id"));
  CHECK_THROWS_WITH(parse_eos_token_ids("", R"({"eos_token_id": [2, "x"]})", "m"),
                    Catch::Contains("m/config.json") && Catch::Contains("list of them"));
  CHECK_THROWS_WITH(parse_eos_token_ids("", R"({"eos_token_id": -1})", "m"), Catch::Contains("non-negative"));
  CHECK_THROWS_WITH(parse_eos_token_ids("{not json", "", "m"), Catch::Contains("not valid JSON"));
  // Hostile files (issue 12): a nested eos_token_id is described, never dumped level by level; deep files are refused.
  CHECK_THROWS_WITH(parse_eos_token_ids(R"({"eos_token_id": [[1], 2]})", "", "m"), Catch::Contains("an array of 2"));
  CHECK_THROWS_WITH(parse_eos_token_ids("{\"eos_token_id\": " + std::string(100000, '[') + std::string(100000, ']') + "}", "", "m"),
                    Catch::Contains("nested deeper than 64"));
  CHECK_THROWS_WITH(parse_eos_token_ids(R"({"eos_token_id": 1e999})", "", "m"), Catch::Contains("not valid JSON"));
}

TEST_CASE("sampling defaults come from generation_config.json, else transformers' defaults", "[generation_config]") {
  const SamplingDefaults none = parse_sampling_defaults("", "m");
  CHECK_FALSE(none.do_sample);
  CHECK(none.temperature == 1.0);
  CHECK(none.top_k == 50);
  CHECK(none.top_p == 1.0);
  // Llama 3.2 Instruct's generation_config.json samples with temperature 0.6 and top_p 0.9.
  const SamplingDefaults llama = parse_sampling_defaults(
      R"({"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009], "temperature": 0.6,
          "top_p": 0.9})", "m");
  CHECK(llama.do_sample);
  CHECK(llama.temperature == Approx(0.6));
  CHECK(llama.top_k == 50);
  CHECK(llama.top_p == Approx(0.9));
  CHECK_THROWS_WITH(parse_sampling_defaults(R"({"do_sample": "yes"})", "m"),
                    Catch::Contains("m/generation_config.json") && Catch::Contains("do_sample"));
}

TEST_CASE("read_eos_token_ids reads the files of a folder", "[generation_config]") {
  const TempDir dir("generation-config");
  CHECK(read_eos_token_ids(dir.path()).empty());
  std::ofstream(dir.path() + "/config.json") << R"({"eos_token_id": 0})";
  CHECK(read_eos_token_ids(dir.path()) == Ids{0});
  std::ofstream(dir.path() + "/generation_config.json") << R"({"eos_token_id": [0, 5]})";
  CHECK(read_eos_token_ids(dir.path()) == Ids{0, 5});
}
