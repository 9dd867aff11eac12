// GPT-2 (GPT2Config, transformers' modeling_gpt2.py): learned position embeddings instead of RoPE, LayerNorm with a
// bias, a GELU MLP, every projection biased, Conv1D weights stored [in, out]; its own config field names. Any thread.
#include "model/config_reader.h"
#include "model/family.h"

namespace diffscope {

namespace {

// GPT2Config's names: n_embd, n_head, n_layer, n_positions, n_inner, layer_norm_epsilon, activation_function. Every
// projection and norm has a bias; the LM head is the token embedding.
void read_gpt2(const ConfigReader& r, ModelConfig& c) {
  c.architecture = Architecture::Gpt2;
  c.kind = AttentionKind::Standard;
  c.hidden_size = static_cast<int>(r.positive("n_embd", kMaxConfigWidth));
  c.num_heads = static_cast<int>(r.positive("n_head", kMaxConfigCount));
  c.num_kv_heads = c.num_heads;
  c.num_layers = static_cast<int>(r.positive("n_layer", kMaxConfigCount));
  c.vocab_size = r.positive("vocab_size", kMaxConfigVocab);
  c.max_positions = r.positive("n_positions", kMaxConfigVocab);
  const int64_t four_wide = int64_t{4} * c.hidden_size;
  c.intermediate_size = static_cast<int>(r.positive("n_inner", kMaxConfigWidth * 4, &four_wide));
  c.rms_norm_eps = r.number("layer_norm_epsilon", 1e-5);
  if (!(c.rms_norm_eps > 0) || c.rms_norm_eps > 1) r.fail("layer_norm_epsilon must be in (0, 1]");
  if (c.hidden_size % c.num_heads != 0) {
    r.fail("n_embd " + std::to_string(c.hidden_size) + " is not divisible by n_head " + std::to_string(c.num_heads));
  }
  c.head_dim = c.hidden_size / c.num_heads;
  const std::string act = r.string("activation_function", "gelu_new");
  if (act == "gelu_new" || act == "gelu_pytorch_tanh") {
    c.gelu_tanh = true;
  } else if (act == "gelu") {
    c.gelu_tanh = false;
  } else {
    r.fail("activation_function \"" + act + "\" is not supported for gpt2 (\"gelu_new\", \"gelu_pytorch_tanh\" and "
           "\"gelu\" are)");
  }
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", true);
  if (!c.tie_word_embeddings) r.fail("tie_word_embeddings false: GPT-2's LM head is its token embedding");
  if (!r.boolean("scale_attn_weights", true)) {
    r.fail("scale_attn_weights false is not implemented (scores are divided by sqrt(head_dim))");
  }
  if (r.boolean("scale_attn_by_inverse_layer_idx", false)) {
    r.fail("scale_attn_by_inverse_layer_idx is not implemented (it divides each layer's scores by its depth)");
  }
  // reorder_and_upcast_attn computes the scores in float32: the same values up to the compute dtype's rounding, which
  // an f32 run does not have.
  c.qkv_bias = c.o_bias = c.attention_bias = c.mlp_bias = true;
}

// transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, wte, wpe, ln_f; checkpoints saved
// without the "transformer." prefix load too.
TensorNames gpt2_tensors() {
  TensorNames t;
  t.optional_prefix = "transformer.";
  t.embed = "wte";
  t.position_embed = "wpe";
  t.layer = "h.";
  t.input_norm = "ln_1";
  t.post_attention_norm = "ln_2";
  t.pre_feedforward_norm = t.post_feedforward_norm = t.q_norm = t.k_norm = "";
  t.q = t.k = t.v = "";
  t.qkv = "attn.c_attn";  // [hidden, 3 hidden]: q, k, v
  t.o = "attn.c_proj";
  t.gate = t.gate_up = "";  // no gate: GELU(c_fc x)
  t.up = "mlp.c_fc";
  t.down = "mlp.c_proj";
  t.final_norm = "ln_f";
  t.lm_head = "";  // wte
  t.norm_bias = true;
  t.stored_transposed = true;  // Conv1D
  return t;
}

}  // namespace

const ModelFamily& gpt2_family() {
  static const ModelFamily family = [] {
    ModelFamily f;
    f.model_type = "gpt2";
    f.llama_like = false;
    f.read = read_gpt2;
    f.tensors = gpt2_tensors();
    return f;
  }();
  return family;
}

}  // namespace diffscope
