// Tests of config.json parsing: both RoPE spellings, defaults, and a clear error for each bad config. Any thread.
#include <catch2/catch.hpp>

#include <cmath>

#include "errors.h"
#include "model/model_config.h"

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
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("llama")", R"("bert")"), "c.json"),
                    Catch::Contains("unknown model_type \"bert\""));
  // gpt2 reads its own field names (n_embd, n_head, ...): a Llama-shaped config says which one is missing.
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("llama")", R"("gpt2")"), "c.json"),
                    Catch::Contains("required field \"n_embd\" is missing"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("hidden_size": 64, )", ""), "c.json"),
                    Catch::Contains("\"hidden_size\" is missing"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": "300")"), "c.json"),
                    Catch::Contains("\"vocab_size\" must be an integer"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("num_key_value_heads": 2)", R"("num_key_value_heads": 3)"), "c.json"),
                    Catch::Contains("not a multiple"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)",
                                               R"("rope_scaling": {"rope_type": "yarn", "factor": 8.0})"), "c.json"),
                    Catch::Contains("rope_type \"yarn\" is not supported"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)",
                                               R"("rope_scaling": {"type": "linear", "factor": 2.0})"), "c.json"),
                    Catch::Contains("rope_type \"linear\" is not supported"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)",
                                               R"("rope_scaling": {"rope_type": "llama3", "factor": 8.0})"), "c.json"),
                    Catch::Contains("needs \"low_freq_factor\""));
  CHECK_THROWS_WITH(parse_model_config(replace(replace(kLlama, R"("llama")", R"("diffllama")"),
                                               R"("num_attention_heads": 4)", R"("num_attention_heads": 6)"), "c.json"),
                    Catch::Contains("not divisible by num_attention_heads 6"));
  CHECK_THROWS_WITH(parse_model_config(replace(replace(kLlama, R"("llama")", R"("diffllama")"),
                                               R"("num_key_value_heads": 2)", R"("num_key_value_heads": 1)"), "c.json"),
                    Catch::Contains("even"));
  CHECK_THROWS_WITH(read_model_config("/nonexistent/model"), Catch::Contains("cannot open"));
}

TEST_CASE("hostile configs are refused before any arithmetic (issue 12's reproducers)", "[config][errors]") {
  // A number beyond double's range: nlohmann throws out_of_range, not parse_error; it used to escape as an
  // "internal error".
  CHECK_THROWS_AS(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 300, "rms_norm_eps": 1e999)"), "c.json"),
                  FileError);
  // 2^32 heads truncated to int 0 and divided by: SIGFPE before. Now a bound, with the field named.
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("num_attention_heads": 4)", R"("num_attention_heads": 4294967296)"), "c.json"),
                    Catch::Contains("\"num_attention_heads\" must be at most 65536"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("num_key_value_heads": 2)", R"("num_key_value_heads": 4294967296)"), "c.json"),
                    Catch::Contains("\"num_key_value_heads\" must be at most"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("num_hidden_layers": 2)", R"("num_hidden_layers": 4294967296)"), "c.json"),
                    Catch::Contains("\"num_hidden_layers\" must be at most"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 1099511627776)"), "c.json"),
                    Catch::Contains("\"vocab_size\" must be at most"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 18446744073709551615)"), "c.json"),
                    Catch::Contains("\"vocab_size\" must be at most"));
  // INT_MIN heads with -1 KV heads: INT_MIN % -1 trapped before.
  CHECK_THROWS_WITH(parse_model_config(replace(replace(kLlama, R"("num_attention_heads": 4)", R"("num_attention_heads": -2147483648)"),
                                               R"("num_key_value_heads": 2)", R"("num_key_value_heads": -1)"), "c.json"),
                    Catch::Contains("must be positive"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 300, "head_dim": 0)"), "c.json"),
                    Catch::Contains("\"head_dim\" must be positive"));
  // llama3 original_max_position_embeddings of 1e300: an undefined float-to-int cast before.
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)",
                                               R"("rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, )"
                                               R"("high_freq_factor": 4.0, "original_max_position_embeddings": 1e300})"), "c.json"),
                    Catch::Contains("at most 10^12"));
  // Nested 100,000 deep in an unused field: a stack overflow in the error message's dump before.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 300, "x": )" + deep), "c.json"),
                    Catch::Contains("nested deeper than 64"));
  // A wrong type shows what was found without dumping a subtree.
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": [[1, 2], 3])"), "c.json"),
                    Catch::Contains("must be an integer, found an array of 2"));
  CHECK_THROWS_WITH(parse_model_config(std::string(17 << 20, ' ') + kLlama, "c.json"), Catch::Contains("more than the 16 MiB"));
}

namespace {
// The llama3 scaling written out from its definition (HF _compute_llama3_parameters), in double.
std::vector<double> llama3_inv_freq_by_hand(int head_dim, double theta, double factor, double low, double high,
                                            double original) {
  std::vector<double> out;
  const double pi = 3.14159265358979323846;
  for (int i = 0; i < head_dim / 2; ++i) {
    const double inv = 1.0 / std::pow(theta, 2.0 * i / head_dim);
    const double wavelen = 2 * pi / inv;
    if (wavelen > original / low) {
      out.push_back(inv / factor);
    } else if (wavelen < original / high) {
      out.push_back(inv);
    } else {
      const double smooth = (original / wavelen - low) / (high - low);
      out.push_back((1 - smooth) * inv / factor + smooth * inv);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("default RoPE inverse frequencies are 1 / theta^(2i/d)", "[config][rope]") {
  ModelConfig c = parse_model_config(kLlama, "config.json");  // head_dim 16, theta 500000
  const std::vector<float> inv = rope_inverse_frequencies(c);
  REQUIRE(inv.size() == 8);
  for (int i = 0; i < 8; ++i) CHECK(inv[i] == Approx(1.0 / std::pow(500000.0, i / 8.0)).epsilon(1e-6));
}

TEST_CASE("llama3 RoPE scaling from rope_scaling matches the formula in every band", "[config][rope]") {
  // head_dim 16, theta 1e4: wavelengths 6.3, 19.9, 62.8, 199, 628, ... With original 256, low 1, high 8 the bands are
  // kept (< 32), blended (32..256: i = 2, 3) and divided by 8 (> 256).
  const std::string text = replace(kLlama, R"("rope_theta": 500000.0)",
      R"("rope_theta": 10000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
          "high_freq_factor": 8.0, "original_max_position_embeddings": 256})");
  const ModelConfig c = parse_model_config(text, "config.json");
  CHECK(c.rope_type == "llama3");
  CHECK(c.llama3_rope.original_max_positions == 256);
  const std::vector<float> inv = rope_inverse_frequencies(c);
  const std::vector<double> expected = llama3_inv_freq_by_hand(16, 10000.0, 8.0, 1.0, 8.0, 256.0);
  REQUIRE(inv.size() == expected.size());
  for (size_t i = 0; i < inv.size(); ++i) {
    INFO("frequency " << i);
    CHECK(inv[i] == Approx(expected[i]).epsilon(1e-6));
  }
  // Hand-worked values: i = 0, 1 unchanged; i = 2 blended: 0.1 * (1 - s) / 8 + 0.1 s with
  // s = (256 / (20 pi) - 1) / 7, i.e. 0.0125 * 256 / (20 pi) = 0.0509295818; i = 4: 0.01 / 8.
  CHECK(inv[0] == Approx(1.0).epsilon(1e-7));
  CHECK(inv[1] == Approx(0.316227766).epsilon(1e-6));
  CHECK(inv[2] == Approx(0.0509295818).epsilon(1e-6));
  CHECK(inv[3] == Approx(0.00509295818).epsilon(1e-6));
  CHECK(inv[4] == Approx(0.00125).epsilon(1e-6));
  CHECK(inv[7] == Approx(3.952847075e-5).epsilon(1e-6));
}

TEST_CASE("llama3 RoPE scaling in rope_parameters with Llama 3.1's numbers matches the formula", "[config][rope]") {
  const std::string text = replace(kLlama, R"("rope_theta": 500000.0)",
      R"("head_dim": 128, "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
          "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})");
  const ModelConfig c = parse_model_config(text, "config.json");
  CHECK(c.rope_theta == 500000.0);
  const std::vector<float> inv = rope_inverse_frequencies(c);
  const std::vector<double> expected = llama3_inv_freq_by_hand(128, 500000.0, 32.0, 1.0, 4.0, 8192.0);
  REQUIRE(inv.size() == 64);
  int divided = 0, kept = 0;
  for (size_t i = 0; i < inv.size(); ++i) {
    INFO("frequency " << i);
    CHECK(inv[i] == Approx(expected[i]).epsilon(1e-5));
    const double unscaled = 1.0 / std::pow(500000.0, 2.0 * i / 128);
    if (std::fabs(expected[i] - unscaled) < 1e-12 * unscaled) ++kept;
    if (std::fabs(expected[i] - unscaled / 32) < 1e-12 * unscaled) ++divided;
  }
  CHECK(kept > 0);     // the test covers all three bands
  CHECK(divided > 0);
  CHECK(kept + divided < 64);
}

TEST_CASE("bad llama3 scaling parameters are refused", "[config][rope][errors]") {
  auto with = [](const std::string& scaling) {
    return parse_model_config(replace(kLlama, R"("rope_theta": 500000.0)", R"("rope_scaling": )" + scaling), "c.json");
  };
  CHECK_THROWS_WITH(with(R"({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0,
                             "original_max_position_embeddings": 8192})"),
                    Catch::Contains("must be larger than \"low_freq_factor\""));
  CHECK_THROWS_WITH(with(R"({"rope_type": "llama3", "factor": 0.5, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 8192})"),
                    Catch::Contains("\"factor\" must be at least 1"));
  CHECK_THROWS_WITH(with(R"({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0})"),
                    Catch::Contains("needs \"original_max_position_embeddings\""));
  CHECK_THROWS_WITH(with(R"({"rope_type": "dynamic", "factor": 2.0})"), Catch::Contains("not supported"));
  CHECK_THROWS_WITH(with(R"({"rope_type": "longrope", "factor": 2.0})"), Catch::Contains("not supported"));
}

TEST_CASE("diff_variant selects Diff V2 and its head layout is checked", "[config][v2]") {
  const std::string diff = replace(kLlama, R"("llama")", R"("diffllama")");  // H 4, KV 2: group size 2
  CHECK(parse_model_config(diff, "c.json").diff_variant == DiffVariant::V1);
  CHECK(std::string(attention_variant_name(parse_model_config(diff, "c.json"))) == "diff-v1");
  CHECK(std::string(attention_variant_name(parse_model_config(kLlama, "c.json"))) == "standard");
  const std::string v2 = replace(diff, R"("vocab_size": 300)", R"("vocab_size": 300, "diff_variant": "v2")");
  const ModelConfig c = parse_model_config(v2, "c.json");
  CHECK(c.diff_variant == DiffVariant::V2);
  CHECK(std::string(attention_variant_name(c)) == "diff-v2");
  // H 4, KV 1: group size 4, still even; KV need not be even for V2.
  CHECK_NOTHROW(parse_model_config(replace(v2, R"("num_key_value_heads": 2)", R"("num_key_value_heads": 1)"), "c.json"));
  // H == KV: sub-heads 2h and 2h+1 would read different KV heads.
  CHECK_THROWS_WITH(parse_model_config(replace(v2, R"("num_key_value_heads": 2)", R"("num_key_value_heads": 4)"), "c.json"),
                    Catch::Contains("must be even, found 4 / 4"));
  CHECK_THROWS_WITH(parse_model_config(replace(v2, R"("v2")", R"("v3")"), "c.json"),
                    Catch::Contains("diff_variant \"v3\" is unknown"));
  CHECK_THROWS_WITH(parse_model_config(replace(kLlama, R"("vocab_size": 300)", R"("vocab_size": 300, "diff_variant": "v2")"),
                                       "c.json"),
                    Catch::Contains("only meaningful with model_type \"diffllama\""));
}
