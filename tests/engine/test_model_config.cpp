// Tests of config.json parsing: both RoPE spellings, defaults, and a clear error for each bad config. Any thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "errors.h"
#include "model_config.h"

using namespace diffscope;

namespace {
const char* kLlama = R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300, "rope_theta": 500000.0})";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("a llama config with top-level rope_theta and defaults", "[config]") {
  const ModelConfig c = parse_model_config(kLlama, "config.json");
  CHECK(c.kind == AttentionKind::Standard);
  CHECK(c.head_dim == 16);  // hidden / heads
  CHECK(c.num_kv_heads == 2);
  CHECK(c.rope_theta == 500000.0);
  CHECK(c.max_positions == 2048);
  CHECK_FALSE(c.tie_word_embeddings);
}

TEST_CASE("rope_parameters (transformers 5.x) wins over the default and explicit head_dim is kept", "[config]") {
  std::string text = replace(kLlama, R"("rope_theta": 500000.0)",
                             R"("rope_parameters": {"rope_theta": 20000.0, "rope_type": "default"}, "head_dim": 24)");
  const ModelConfig c = parse_model_config(text, "config.json");
  CHECK(c.rope_theta == 20000.0);
  CHECK(c.head_dim == 24);
}

TEST_CASE("the committed fixtures parse", "[config]") {
  const ModelConfig d = read_model_config(std::string(DIFFSCOPE_FIXTURES) + "/hf/diffllama_gqa_tied");
  CHECK(d.kind == AttentionKind::Differential);
  CHECK(d.num_heads == 8);
  CHECK(d.tie_word_embeddings);
  CHECK(d.rope_theta == 10000.0);
  const ModelConfig l = read_model_config(std::string(DIFFSCOPE_FIXTURES) + "/hf/llama_bias_headdim_f16");
  CHECK(l.attention_bias);
  CHECK(l.head_dim == 16);
  CHECK(l.rope_theta == 500000.0);
}

TEST_CASE("lambda_init follows 0.8 - 0.6 exp(-0.3 depth)", "[config]") {
  // Values from REFERENCE.md section 1.
  CHECK(lambda_init_for_layer(0) == Approx(0.2));
  CHECK(lambda_init_for_layer(1) == Approx(0.3555).margin(1e-4));
  CHECK(lambda_init_for_layer(5) == Approx(0.6661).margin(1e-4));
  CHECK(lambda_init_for_layer(11) == Approx(0.7779).margin(1e-4));
}

TEST_CASE("bad configs are refused with the field named", "[config][errors]") {
  CHECK_THROWS_AS(parse_model_config("{not json", "c.json"), FileError);
  CHECK_THROWS_WITH(parse_model_config("[1, 2]", "c.json"), Catch::Contains("expected a JSON object"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("llama")", R"("gpt2")"), "c.json"),
                    Catch::Contains("unknown model_type \"gpt2\""));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("hidden_size": 64, )", ""), "c.json"),
                    Catch::Contains("\"hidden_size\" is missing"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": "300")"), "c.json"),
                    Catch::Contains("\"vocab_size\" must be an integer"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("num_key_value_heads": 2)", R"("num_key_value_heads": 3)"), "c.json"),
                    Catch::Contains("not a multiple"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)",
                                               R"("rope_scaling": {"rope_type": "llama3", "factor": 8.0})"), "c.json"),
                    Catch::Contains("rope_type \"llama3\" is not supported"));
  CHECK_THROWS_WITH(parse_model_config(replace(replace(kLlama, R"("llama")", R"("diffllama")"),
                                               R"("num_attention_heads": 4)", R"("num_attention_heads": 6)"), "c.json"),
                    Catch::Contains("not divisible by num_attention_heads 6"));
  CHECK_THROWS_WITH(parse_model_config(replace(replace(kLlama, R"("llama")", R"("diffllama")"),
                                               R"("num_key_value_heads": 2)", R"("num_key_value_heads": 1)"), "c.json"),
                    Catch::Contains("even"));
  CHECK_THROWS_WITH(read_model_config("/nonexistent/model"), Catch::Contains("cannot open"));
}
