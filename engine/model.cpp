// Llama / DiffLlama (V1) forward pass in LibTorch (ATen) as HF transformers computes it, and the Diff V2 attention of
// docs/diff-v2.md. Attention is fused by default (never a (heads, T, T) tensor) or explicit as HF's eager attention;
// statistics, overviews and maps come from each layer's queries and keys (layer_scan.h, attention_maps.h). Called
// only by the thread that owns the Model.
#include "model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#ifdef DIFFSCOPE_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "generation_config.h"
#include "json_limits.h"
#include "model/model_config.h"
#include "safetensors.h"
#include "sdpa_cudnn_choice.h"
#include "span_target.h"
#include "stage_profile.h"
#include "attention_maps.h"
#include "layer_scan.h"
#include "torch_errors.h"
#include "torch_stats.h"

namespace diffscope {
namespace {

struct LinearWeights {
  at::Tensor weight;  // (out, in)
  at::Tensor bias;    // (out) or undefined
  at::Tensor operator()(const at::Tensor& x) const { return at::linear(x, weight, bias); }
};

struct LayerWeights {
  // Llama-like: input_norm before attention, post_attention_norm before the MLP. OLMo 2 (post_norms):
  // post_attention_norm on attention's output, post_feedforward_norm on the MLP's; input_norm undefined.
  at::Tensor input_norm, post_attention_norm, post_feedforward_norm;  // (hidden)
  at::Tensor input_norm_bias, post_attention_norm_bias;               // GPT-2's LayerNorm biases (ln_1, ln_2)
  at::Tensor pre_feedforward_norm;                                    // Gemma 3: before the MLP too
  at::Tensor q_norm, k_norm;  // Qwen3: (head_dim); OLMo 2: (H * head_dim), (KV * head_dim)
  LinearWeights q, k, v, o, gate, up, down;
  at::Tensor lambda_q1, lambda_k1, lambda_q2, lambda_k2;  // (head_dim), Diff V1 only
  LinearWeights lambda_proj;                              // (H/2, hidden), no bias, Diff V2 only
  double lambda_init = 0;                                 // V1: 0.8 - 0.6 exp(-0.3 depth); V2 has none: 0
};

at::ScalarType scalar_type_of(DType d) {
  switch (d) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    default: return at::kFloat;
  }
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Finds every tensor of a checkpoint folder: model.safetensors, or the shards named by model.safetensors.index.json.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir) : dir_(dir) {
    const std::string index_path = dir + "/model.safetensors.index.json";
    std::string index_text;
    if (read_small_file(index_path, &index_text)) {
      const nlohmann::json j = parse_limited_json(index_text, index_path);
      if (!j.contains("weight_map") || !j["weight_map"].is_object()) {
        throw FileError(index_path + ": no \"weight_map\" object");
      }
      std::map<std::string, size_t> shard_of_file;
      for (auto& [name, file] : j["weight_map"].items()) {
        if (!file.is_string()) throw FileError(index_path + ": weight_map entry \"" + name + "\" is not a file name");
        const std::string f = file.get<std::string>();
        // A shard is a file in the model folder: no path separators, no "." or ".." (an index could otherwise point
        // anywhere on the disk).
        if (f.empty() || f == "." || f == ".." || f.find('/') != std::string::npos || f.find('\\') != std::string::npos) {
          throw CheckpointError(index_path + ": weight_map entry \"" + name + "\" names \"" + f.substr(0, 200) +
                                "\", which is not a file name in the model folder");
        }
        if (!shard_of_file.count(f)) {
          shard_of_file[f] = files_.size();
          files_.push_back(SafetensorsFile::open(dir + "/" + f));
        }
        owner_[name] = shard_of_file[f];
      }
    } else {
      files_.push_back(SafetensorsFile::open(dir + "/model.safetensors"));
      for (const auto& t : files_[0]->tensors()) owner_[t.name] = 0;
    }
  }

  // The tensor `name` as a tensor of `dtype` on `device`, checked against `shape`. CPU tensors whose dtype matches the
  // file alias the read-only mapping (no copy); they are never written to. `why` (may be empty) is appended to a
  // missing-tensor or wrong-shape message, to say where the expected shape comes from.
  at::Tensor get(const std::string& name, const std::vector<int64_t>& shape, at::Device device, at::ScalarType dtype,
                 const std::string& why = "") {
    auto it = owner_.find(name);
    if (it == owner_.end()) {
      throw CheckpointError(dir_ + ": tensor \"" + name + "\" is missing (expected shape " + shape_string(shape) + ")" +
                            why);
    }
    const SafetensorsFile& file = *files_[it->second];
    const TensorInfo* info = file.find(name);
    if (!info) throw CheckpointError(file.path() + ": tensor \"" + name + "\" is listed in the index but absent");
    if (info->shape != shape) {
      throw CheckpointError(file.path() + ": tensor \"" + name + "\" has shape " + shape_string(info->shape) +
                            ", expected " + shape_string(shape) + " from config.json" + why);
    }
    if (info->dtype != DType::F32 && info->dtype != DType::F16 && info->dtype != DType::BF16) {
      throw CheckpointError(file.path() + ": tensor \"" + name + "\" has dtype " + dtype_name(info->dtype) +
                            "; weights must be F32, F16 or BF16");
    }
    weight_dtypes_.insert(dtype_name(info->dtype));
    const at::ScalarType stored = scalar_type_of(info->dtype);
    const uint8_t* data = file.data(*info);
    const bool aligned = reinterpret_cast<uintptr_t>(data) % dtype_size(info->dtype) == 0;
    at::Tensor view = at::from_blob(const_cast<uint8_t*>(data), shape, at::TensorOptions().dtype(stored));
    if (device.is_cpu() && stored == dtype && aligned) {
      aliased_ = true;
      return view;
    }
    if (!aligned) view = view.clone();
    return view.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
  }

  bool has(const std::string& name) const { return owner_.count(name) > 0; }
  std::string weight_dtype() const {
    std::string s;
    for (const auto& d : weight_dtypes_) s += (s.empty() ? "" : "+") + d;
    return s;
  }
  // Whether some weight aliases a file mapping (then the files must outlive the weights).
  bool aliased() const { return aliased_; }
  std::vector<std::unique_ptr<SafetensorsFile>> release_files() { return std::move(files_); }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, size_t> owner_;
  std::set<std::string> weight_dtypes_;
  bool aliased_ = false;
};

at::Device parse_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (name == "cpu") return at::Device(at::kCPU);
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw InputError("device \"" + name + "\": no CUDA device is available to LibTorch here; use --device cpu");
    }
    at::Device d(at::kCUDA, 0);
    try {
      d = at::Device(name);
    } catch (const std::exception&) {
      throw InputError("device \"" + name + "\" is not a device name; use auto, cpu, cuda or cuda:N");
    }
    if (d.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw InputError("device \"" + name + "\": only " + std::to_string(torch::cuda::device_count()) +
                       " CUDA device(s) are visible");
    }
    return d.has_index() ? d : at::Device(at::kCUDA, 0);
  }
  throw InputError("unknown device \"" + name + "\": use auto, cpu, cuda or cuda:N");
}

at::ScalarType parse_dtype(const std::string& name) {
  if (name == "f32" || name == "float32") return at::kFloat;
  if (name == "bf16" || name == "bfloat16") return at::kBFloat16;
  if (name == "f16" || name == "float16") return at::kHalf;
  throw InputError("unknown dtype \"" + name + "\": use f32, bf16 or f16");
}

const char* dtype_label(at::ScalarType t) {
  return t == at::kFloat ? "f32" : t == at::kBFloat16 ? "bf16" : "f16";
}

// The RMSNorms of the families: normalize in float32, then
//   Llama (LlamaRMSNorm): cast back, then scale by the weight (which may be undefined: DiffLlama's head norm);
//   WeightFirst (Olmo2RMSNorm): scale in float32, then cast back;
//   PlusOne (Gemma3RMSNorm): scale by (1 + weight) in float32, then cast back.
enum class RmsStyle { Llama, WeightFirst, PlusOne };
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, RmsStyle style = RmsStyle::Llama) {
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  if (weight.defined() && style == RmsStyle::WeightFirst) return (weight * normed).to(x.scalar_type());
  if (weight.defined() && style == RmsStyle::PlusOne) return (normed * (1.0 + weight.to(at::kFloat))).to(x.scalar_type());
  normed = normed.to(x.scalar_type());
  return weight.defined() ? weight * normed : normed;
}

// rotate_half: (x1, x2) -> (-x2, x1) over the last dimension's halves.
at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}


}  // namespace

// The rotated keys and the values of one layer for the tokens run so far (generation).
struct KvCache {
  std::map<int, at::Tensor> head_means;  // ablate=mean: each ablated head's output averaged over the prompt
  at::Tensor k, v;  // (KV, S, d)
};

// An incremental run (RunCache): the layer's rows before first_row come from `prior` (the earlier run's), and
// `keep` (when set) receives this run's layer over every row for the next run.
struct LayerReuse {
  const CachedLayer* prior = nullptr;
  CachedLayer* keep = nullptr;
  int64_t chunk_rows = 0;
};
struct RunReuse {
  const RunCacheState* prior = nullptr;  // set when first_row > 0
  RunCacheState* keep = nullptr;
  int64_t first_row = 0, chunk_rows = 0;
};

int64_t RunCacheState::bytes() const {
  int64_t total = 0;
  auto add = [&](const at::Tensor& t) { total += t.defined() ? static_cast<int64_t>(t.nbytes()) : 0; };
  for (const CachedLayer& l : layers) {
    for (const at::Tensor* t : {&l.q, &l.k, &l.v, &l.lambda, &l.scan.rows, &l.scan.diff_rows, &l.scan.histogram,
                                &l.scan.overview, &l.scan.diff_overview, &l.scan.hidden_counts, &l.scan.hidden_abs}) {
      add(*t);
    }
  }
  return total;
}

RunCache::RunCache() = default;
RunCache::~RunCache() = default;
void RunCache::clear() { state_.reset(); }
int64_t RunCache::tokens() const { return state_ ? static_cast<int64_t>(state_->ids.size()) : 0; }
int64_t RunCache::bytes() const { return state_ ? state_->bytes() : 0; }

struct Model::Impl {
  ModelConfig config;
  ModelInfo info;
  at::Device device = at::Device(at::kCPU);
  at::ScalarType dtype = at::kFloat;
  at::Tensor embed, final_norm, lm_head;
  at::Tensor position_embed, final_norm_bias;  // GPT-2: wpe (positions, hidden) and ln_f's bias
  std::vector<LayerWeights> layers;
  std::vector<std::unique_ptr<SafetensorsFile>> files;  // keep the mappings alive: CPU weights may alias them

  bool differential() const { return config.kind == AttentionKind::Differential; }
  bool diff_v2() const { return differential() && config.diff_variant == DiffVariant::V2; }

  // Loading progress after layer i's weights: 10% to 95% over the layers.
  void report_layer_loaded(int i) const {
    const int n = config.num_layers;
    if (progress) progress(0.1f + 0.85f * static_cast<float>(i + 1) / static_cast<float>(n),
                           "layer " + std::to_string(i + 1) + " of " + std::to_string(n));
  }

  // Every family's weights, found by its tensor names (ModelConfig::tensors, engine/model/<family>.cpp); which
  // tensors a layer has follows from the config (norm placement, q/k norms, biases, differential attention).
  void load_weights(Checkpoint& ckpt) {
    const ModelConfig& c = config;
    const TensorNames& t = c.tensors;
    const int64_t hidden = c.hidden_size, d = c.head_dim, H = c.num_heads, KV = c.num_kv_heads;
    const int64_t inter = c.intermediate_size, V = c.vocab_size;
    const std::string prefix = std::string(t.optional_prefix);
    const std::string root = !prefix.empty() && ckpt.has(prefix + t.embed + ".weight") ? prefix : "";
    auto get = [&](const std::string& name, std::vector<int64_t> shape, const std::string& why = "") {
      return ckpt.get(root + name, shape, device, dtype, why);
    };
    // x W^T + b with W (out, in); a family that stores W as (in, out) (GPT-2's Conv1D) has it transposed here.
    auto linear = [&](const std::string& name, int64_t out, int64_t in, bool bias, const std::string& why = "") {
      LinearWeights l;
      l.weight = t.stored_transposed ? get(name + ".weight", {in, out}, why).t().contiguous()
                                     : get(name + ".weight", {out, in}, why);
      if (bias) l.bias = get(name + ".bias", {out}, why);
      return l;
    };
    // Rows [from, to) of a fused projection (q, k, v of qkv; gate, up of gate_up).
    auto rows = [](const LinearWeights& fused, int64_t from, int64_t to) {
      LinearWeights l;
      l.weight = fused.weight.slice(0, from, to);
      if (fused.bias.defined()) l.bias = fused.bias.slice(0, from, to);
      return l;
    };
    // A norm's weight, and its bias into `bias` where the family's norms have one (LayerNorm).
    auto norm = [&](const std::string& name, at::Tensor* bias) {
      at::Tensor weight = get(name + ".weight", {hidden});
      if (t.norm_bias && bias) *bias = get(name + ".bias", {hidden});
      return weight;
    };
    // V2 concatenates H/2 diff heads of width head_dim before o_proj; V1 and standard models concatenate H of them
    // (V1: H/2 heads of width 2 head_dim).
    const int64_t o_in = diff_v2() ? H / 2 * d : H * d;
    std::string o_why;
    if (diff_v2()) {
      o_why = " (diff_variant \"v2\": o_proj reads num_attention_heads / 2 = " + std::to_string(H / 2) +
              " diff heads of head_dim " + std::to_string(d) + ", so [hidden, H/2 * head_dim])";
    } else if (differential() && ckpt.has("model.layers.0.self_attn.lambda_proj.weight")) {
      o_why = "; the checkpoint has lambda_proj, as a Diff V2 checkpoint does: set \"diff_variant\": \"v2\" in "
              "config.json if it is one";
    }
    embed = get(std::string(t.embed) + ".weight", {V, hidden});
    if (*t.position_embed) position_embed = get(std::string(t.position_embed) + ".weight", {c.max_positions, hidden});
    for (int i = 0; i < c.num_layers; ++i) {
      const std::string p = t.layer + std::to_string(i) + ".";
      LayerWeights w;
      if (!c.post_norms || c.sandwich_norms) w.input_norm = norm(p + t.input_norm, &w.input_norm_bias);
      w.post_attention_norm = norm(p + t.post_attention_norm, &w.post_attention_norm_bias);
      if (c.post_norms) w.post_feedforward_norm = norm(p + t.post_feedforward_norm, nullptr);
      if (c.sandwich_norms) w.pre_feedforward_norm = norm(p + t.pre_feedforward_norm, nullptr);
      if (c.qk_norm != QkNorm::None) {
        const bool per_head = c.qk_norm == QkNorm::PerHead;
        w.q_norm = get(p + t.q_norm + ".weight", {per_head ? d : H * d});
        w.k_norm = get(p + t.k_norm + ".weight", {per_head ? d : KV * d});
      }
      if (*t.qkv) {  // rows q, then k, then v
        const LinearWeights qkv = linear(p + t.qkv, (H + 2 * KV) * d, hidden, c.qkv_bias);
        w.q = rows(qkv, 0, H * d);
        w.k = rows(qkv, H * d, (H + KV) * d);
        w.v = rows(qkv, (H + KV) * d, (H + 2 * KV) * d);
      } else {
        w.q = linear(p + t.q, H * d, hidden, c.qkv_bias);
        w.k = linear(p + t.k, KV * d, hidden, c.qkv_bias);
        w.v = linear(p + t.v, KV * d, hidden, c.qkv_bias);
      }
      w.o = linear(p + t.o, hidden, o_in, c.o_bias, o_why);
      if (*t.gate_up) {  // rows the gate, then up
        const LinearWeights gate_up = linear(p + t.gate_up, 2 * inter, hidden, c.mlp_bias);
        w.gate = rows(gate_up, 0, inter);
        w.up = rows(gate_up, inter, 2 * inter);
      } else {
        if (*t.gate) w.gate = linear(p + t.gate, inter, hidden, c.mlp_bias);
        w.up = linear(p + t.up, inter, hidden, c.mlp_bias);
      }
      w.down = linear(p + t.down, hidden, inter, c.mlp_bias);
      if (diff_v2()) {
        const std::string why = ckpt.has(p + "self_attn.lambda_q1")
                                    ? "; the checkpoint has lambda_q1 instead, as a V1 (HF DiffLlama) checkpoint does: "
                                      "remove \"diff_variant\": \"v2\" from config.json if it is one"
                                    : "";
        w.lambda_proj.weight = get(p + "self_attn.lambda_proj.weight", {H / 2, hidden}, why);
      } else if (differential()) {
        const std::string why = ckpt.has(p + "self_attn.lambda_proj.weight")
                                    ? "; the checkpoint has lambda_proj instead, as a Diff V2 checkpoint does: set "
                                      "\"diff_variant\": \"v2\" in config.json if it is one"
                                    : "";
        w.lambda_q1 = get(p + "self_attn.lambda_q1", {d}, why);
        w.lambda_k1 = get(p + "self_attn.lambda_k1", {d});
        w.lambda_q2 = get(p + "self_attn.lambda_q2", {d});
        w.lambda_k2 = get(p + "self_attn.lambda_k2", {d});
        w.lambda_init = lambda_init_for_layer(i);
      }
      layers.push_back(std::move(w));
      report_layer_loaded(i);
    }
    final_norm = norm(t.final_norm, &final_norm_bias);
    const std::string lm_head_name = root + t.lm_head + ".weight";
    if (c.tie_word_embeddings) {
      lm_head = embed;
    } else if (ckpt.has(lm_head_name)) {
      lm_head = get(std::string(t.lm_head) + ".weight", {V, hidden});
    } else {
      throw CheckpointError(info.path + ": tensor \"" + lm_head_name + "\" is missing (expected shape [" +
                            std::to_string(V) + ", " + std::to_string(hidden) +
                            "]) and config.json does not set tie_word_embeddings");
    }
  }

  // The family's RMSNorm with a weight (rms_norm's styles).
  at::Tensor rms(const at::Tensor& x, const at::Tensor& weight) const {
    const RmsStyle style = config.norm_plus_one       ? RmsStyle::PlusOne
                           : config.norm_weight_first ? RmsStyle::WeightFirst
                                                      : RmsStyle::Llama;
    return rms_norm(x, weight, config.rms_norm_eps, style);
  }

  // The pre-sublayer norm of the architecture: the family's RMSNorm, or LayerNorm with a bias (GPT-2).
  at::Tensor norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const {
    if (config.architecture == Architecture::Gpt2) return at::layer_norm(x, {x.size(-1)}, weight, bias, config.rms_norm_eps);
    return rms(x, weight);
  }

  // The feed-forward block: SwiGLU (Llama-like), GeGLU (Gemma 3: tanh GELU of the gate), or GPT-2's GELU MLP.
  at::Tensor mlp(const LayerWeights& w, const at::Tensor& h) const {
    if (config.architecture == Architecture::Gpt2) return w.down(at::gelu(w.up(h), config.gelu_tanh ? "tanh" : "none"));
    if (config.gelu_gate) return w.down(at::gelu(w.gate(h), "tanh") * w.up(h));
    return w.down(at::silu(w.gate(h)) * w.up(h));
  }

  // Scores are q.k times this: head_dim^-1/2, or Gemma 3's query_pre_attn_scalar^-1/2.
  double attention_scale() const {
    return config.attention_scale > 0 ? config.attention_scale : std::pow(static_cast<double>(config.head_dim), -0.5);
  }

  std::function<void(float, const std::string&)> progress;

  // The value of lambda of a Diff layer, as HF computes it (sums in float32, cast to the compute dtype).
  at::Tensor lambda_of(const LayerWeights& w) const {
    auto term = [&](const at::Tensor& a, const at::Tensor& b) {
      return at::exp((a * b).sum(-1, /*keepdim=*/false, at::kFloat)).to(dtype);
    };
    return term(w.lambda_q1, w.lambda_k1) - term(w.lambda_q2, w.lambda_k2) + w.lambda_init;
  }

  bool wants_map(const CaptureRequest& request, int layer, int head) const {
    if (request.maps == CaptureRequest::Maps::All) return true;
    if (request.maps == CaptureRequest::Maps::None) return false;
    for (const HeadRef& h : request.heads) {
      if (h.layer == layer && h.head == head) return true;
    }
    return false;
  }

  HeadLayout head_layout() const {
    HeadLayout l;
    l.differential = differential();
    l.H = config.num_heads;
    l.KV = config.num_kv_heads;
    l.d = config.head_dim;
    l.scale = attention_scale();
    l.softcap = config.attn_logit_softcap;
    if (diff_v2()) {
      l.a1_offset = 0, l.a1_stride = 2, l.a2_offset = 1, l.a2_stride = 2;
    } else if (differential()) {
      l.a1_offset = 0, l.a1_stride = 1, l.a2_offset = config.num_heads / 2, l.a2_stride = 1;
    }
    return l;
  }

  // The values each sub-head reads, (H, S, dv). HF diffllama (V1): V is split along KV heads into two halves, each
  // tiled back to KV heads and expanded like K; every sub-head reads both halves, so dv = 2d and a sub-head's output is
  // A (V1 | V2). Standard and V2: the KV head of the sub-head's group, dv = d.
  // Leading dimensions before (KV, S, d) are a batch (the head scan's).
  at::Tensor sub_head_values(const at::Tensor& v) const {
    const int64_t groups = config.num_heads / config.num_kv_heads;
    if (differential() && !diff_v2()) {
      std::vector<at::Tensor> halves = v.chunk(2, -3);
      at::Tensor v1 = at::cat({halves[0], halves[0]}, -3).repeat_interleave(groups, -3);
      at::Tensor v2 = at::cat({halves[1], halves[1]}, -3).repeat_interleave(groups, -3);
      return at::cat({v1, v2}, -1);
    }
    return v.repeat_interleave(groups, -3);
  }

  // attend() for the queries, keys and values of attention_inputs(), which may carry a leading batch dimension
  // (B, H, T, d): the batch is folded into the heads (attention never mixes them), so both ATen paths serve it.
  at::Tensor attend_heads(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& causal_mask,
                          int64_t window, bool explicit_path, at::Tensor* probs) const {
    const int64_t groups = config.num_heads / config.num_kv_heads;
    const at::Tensor keys = k.repeat_interleave(groups, -3), values = sub_head_values(v);
    if (q.dim() == 3) return attend(q, keys, values, causal_mask, window, explicit_path, probs);
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), S = keys.size(2);
    const at::Tensor out = attend(q.reshape({B * H, T, q.size(3)}), keys.reshape({B * H, S, keys.size(3)}),
                                  values.reshape({B * H, S, values.size(3)}), causal_mask, window, explicit_path, probs);
    return out.view({B, H, T, out.size(2)});
  }

  // Each sub-head's attention output, (H, T, dv). q: (H, T, d); keys: (H, S, d); values: (H, S, dv); the T queries
  // are the last T of the S positions. `window` W > 0 (a sliding layer): query position i sees key j only when
  // i - W < j <= i, as HF's sliding_window_overlay; keys before a query's band never enter its computation (a
  // generation step reads at most W keys) and get probability 0. Explicit (or when `probs` is given, which receives
  // the (H, T, S) float32 softmax maps): HF's eager attention. Fused: no (H, T, S) tensor; a sliding layer's whole
  // prompt goes a block of rows at a time over each block's band of keys, so memory and work grow with T W.
  at::Tensor attend(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& causal_mask,
                    int64_t window, bool explicit_path, at::Tensor* probs) const {
    const int64_t T = q.size(1), S = keys.size(1);
    if (window <= 0 || S <= window) return attend_masked(q, keys, values, causal_mask, explicit_path, probs);
    if (explicit_path || probs) {
      const int64_t first = std::max<int64_t>(0, S - T - window + 1);  // the first query's first key
      const at::Tensor hidden = hidden_keys(S - T, T, first, S, window);
      at::Tensor out = attend_masked(q, keys.slice(1, first), values.slice(1, first), hidden, explicit_path, probs);
      if (probs && first > 0) *probs = at::constant_pad_nd(*probs, {first, 0}, 0.0);
      return out;
    }
    const int64_t block = std::clamp<int64_t>(window, 64, 1024);  // rows; each block reads block + W - 1 keys at most
    at::Tensor out = at::empty({q.size(0), T, values.size(2)}, values.options());
    for (int64_t r0 = 0; r0 < T; r0 += block) {
      const int64_t r1 = std::min(r0 + block, T);
      const int64_t k0 = std::max<int64_t>(0, S - T + r0 - window + 1), k1 = S - T + r1;
      out.slice(1, r0, r1).copy_(attend_masked(q.slice(1, r0, r1), keys.slice(1, k0, k1), values.slice(1, k0, k1),
                                               hidden_keys(S - T + r0, r1 - r0, k0, k1, window), false, nullptr));
    }
    return out;
  }

  // (rows, k1 - k0) true where key j in [k0, k1) is hidden from the query at position first + r: after it, or (with
  // a window W > 0) W or more positions before it.
  at::Tensor hidden_keys(int64_t first, int64_t rows, int64_t k0, int64_t k1, int64_t window) const {
    const auto longs = at::TensorOptions().device(device).dtype(at::kLong);
    const at::Tensor position = at::arange(first, first + rows, longs).unsqueeze(1);
    const at::Tensor key = at::arange(k0, k1, longs).unsqueeze(0);
    const at::Tensor after = key > position;
    return window > 0 ? after.logical_or(key <= position - window) : after;
  }

  // attend() where every query's keys are those of `mask` (T, S), true where a key is hidden; undefined: plain causal
  // attention of the last T of the S positions.
  at::Tensor attend_masked(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values, const at::Tensor& mask,
                           bool explicit_path, at::Tensor* probs) const {
    const int64_t T = q.size(1), S = keys.size(1);
    const double scale = attention_scale();
    const double softcap = config.attn_logit_softcap;  // Gemma 2; 0: none
    if (explicit_path || probs) {
      at::Tensor scores = soft_capped(at::matmul(q, keys.transpose(1, 2)) * scale, softcap);  // (H, T, S)
      const at::Tensor hidden = mask.defined() ? mask : hidden_keys(S - T, T, 0, S, 0);
      at::Tensor p = at::softmax(scores.masked_fill(hidden, -INFINITY), -1, at::kFloat);
      if (probs) *probs = p;
      return at::matmul(p.to(dtype), values);
    }
#if TORCH_VERSION_MAJOR >= 2
    // 4-D (batch 1) so the flash / memory-efficient kernels are eligible; the scale is the family's. SDPA cannot
    // soft-cap scores: Gemma 2 takes the row blocks below.
    if (!(softcap > 0)) {
      at::Tensor out;
      const bool square_causal = T == S && !mask.defined();
      const SdpaCudnnChoice cudnn(square_causal);  // cuDNN for full runs only (sdpa_cudnn_choice.h says why)
      if (square_causal) {
        out = at::scaled_dot_product_attention(q.unsqueeze(0), keys.unsqueeze(0), values.unsqueeze(0), {}, 0.0,
                                               /*is_causal=*/true, scale);
      } else {
        const at::Tensor hidden = mask.defined() ? mask : hidden_keys(S - T, T, 0, S, 0);
        out = at::scaled_dot_product_attention(q.unsqueeze(0), keys.unsqueeze(0), values.unsqueeze(0),
                                               hidden.logical_not(), 0.0, /*is_causal=*/false, scale);
      }
      return out.squeeze(0);
    }
#endif
    // No fused attention (LibTorch 1.13, or soft-capped scores): the explicit computation a block of query rows at
    // a time, so at most (H, block, S) scores exist at once; each block reads the keys up to its last row.
    const int64_t H = q.size(0);
    const int64_t block = rows_per_block(H, S, int64_t{1} << 24);
    at::Tensor out = at::empty({H, T, values.size(2)}, values.options());
    for (int64_t r0 = 0; r0 < T; r0 += block) {
      const int64_t r1 = std::min(r0 + block, T), keys_seen = S - T + r1;
      at::Tensor scores = soft_capped(
          at::matmul(q.slice(1, r0, r1), keys.slice(1, 0, keys_seen).transpose(1, 2)) * scale, softcap);
      const at::Tensor hidden = mask.defined() ? mask.slice(0, r0, r1).slice(1, 0, keys_seen)
                                               : hidden_keys(S - T + r0, r1 - r0, 0, keys_seen, 0);
      at::Tensor p = at::softmax(scores.masked_fill(hidden, -INFINITY), -1, at::kFloat);
      out.slice(1, r0, r1).copy_(at::matmul(p.to(dtype), values.slice(1, 0, keys_seen)));
    }
    return out;
  }

  // Copies the rows of the requested heads' maps (N, T, S) to the host; others stay empty.
  std::vector<Matrix> capture_maps(const at::Tensor& maps, const CaptureRequest& request, int layer) const {
    std::vector<Matrix> out(static_cast<size_t>(maps.size(0)));
    for (int64_t h = 0; h < maps.size(0); ++h) {
      if (wants_map(request, layer, static_cast<int>(h))) out[static_cast<size_t>(h)] = to_matrix(maps[h]);
    }
    return out;
  }

  // Generation steps: the new rows (T of S keys) of every requested map, from the explicit softmax maps `probs`
  // (H, T, S). lambda_rows: (P, T) float32 for a Diff model.
  void capture_rows(const at::Tensor& probs, const at::Tensor& lambda_rows, const CaptureRequest& request, int index,
                    LayerCapture& capture) const {
    if (!differential()) {
      capture.attn = capture_maps(probs, request, index);
      return;
    }
    const HeadLayout layout = head_layout();
    at::Tensor p1 = pair_sub_heads(probs, layout, false);
    at::Tensor p2 = pair_sub_heads(probs, layout, true);
    capture.attn1 = capture_maps(p1, request, index);
    capture.attn2 = capture_maps(p2, request, index);
    capture.diff = capture_maps(p1 - lambda_rows.unsqueeze(-1) * p2, request, index);
  }

  // The full maps of the requested heads of a whole-prompt layer, recomputed from its queries and keys.
  void capture_full_maps(const LayerQK& qk, const CaptureRequest& request, int index, LayerCapture& capture) const {
    const HeadLayout layout = head_layout();
    const int64_t T = qk.q.size(1);
    const at::Tensor rows = at::arange(T, at::TensorOptions().device(qk.q.device()).dtype(at::kLong));
    for (MapKind kind : map_kinds_of(info)) {
      std::vector<Matrix> maps(static_cast<size_t>(layout.num_heads()));
      for (int h = 0; h < layout.num_heads(); ++h) {
        if (wants_map(request, index, h)) maps[static_cast<size_t>(h)] = to_matrix(map_rows(qk, layout, kind, h, rows, T));
      }
      capture.maps(kind) = std::move(maps);
    }
  }

  // The head mean of a whole-prompt layer's D (Diff) or A maps, (T, T) float32, a block of rows at a time.
  at::Tensor head_mean_map(const LayerQK& qk) const {
    const HeadLayout layout = head_layout();
    const int64_t T = qk.q.size(1);
    at::Tensor mean = at::zeros({T, T}, qk.q.options().dtype(at::kFloat));
    const int64_t block = rows_per_block(layout.H, T, int64_t{1} << 24);
    for (int64_t r0 = 0; r0 < T; r0 += block) {
      const int64_t r1 = std::min(r0 + block, T);
      const at::Tensor rows = at::arange(r0, r1, at::TensorOptions().device(qk.q.device()).dtype(at::kLong));
      const std::vector<at::Tensor> maps = all_heads_rows(qk, layout, rows);
      mean.slice(0, r0, r1).copy_(maps.back().mean(0));
    }
    return mean;
  }

  // A layer's interventions, as tensors: D_h = a_h A1 - b_h,t A2 for the Diff heads (a = 1 and b = lambda unless an
  // intervention changes them), the lambda rows the maps and statistics use (lambda=, lambda_scale=, only=A1 change
  // them; only=A2 leaves the maps' D as A1 - lambda A2, since its output A2 V is no difference of maps), and the heads
  // whose outputs are ablated.
  struct LayerEdits {
    bool coefficients_changed = false, lambda_changed = false;
    at::Tensor a, b;                    // (P, 1, 1) and (P, T, 1) float, when coefficients_changed
    at::Tensor lambda_rows_for_maps;    // (P, T) float, when lambda_changed
    std::vector<std::pair<int, bool>> ablate;  // (head, mean?) in order
  };
  LayerEdits layer_edits(const CaptureRequest& request, int index, const at::Tensor& lambda_rows) const {
    LayerEdits e;
    const int heads = info.num_heads;
    if (std::none_of(request.interventions.begin(), request.interventions.end(),
                     [&](const Intervention& iv) { return iv.layer == index; })) {
      return e;  // the usual case: nothing to copy
    }
    std::vector<double> a(static_cast<size_t>(heads), 1.0);
    at::Tensor b = lambda_rows.defined() ? lambda_rows.clone() : at::Tensor();
    at::Tensor maps_lambda = b.defined() ? lambda_rows.clone() : at::Tensor();
    for (const Intervention& iv : request.interventions) {
      if (iv.layer != index) continue;
      for (int h = 0; h < heads; ++h) {
        if (iv.head >= 0 && iv.head != h) continue;
        switch (iv.what) {
          case Intervention::What::Lambda: b[h].fill_(iv.value); maps_lambda[h].fill_(iv.value); break;
          case Intervention::What::LambdaScale: b[h].mul_(iv.value); maps_lambda[h].mul_(iv.value); break;
          case Intervention::What::OnlyA1: b[h].fill_(0.0); maps_lambda[h].fill_(0.0); break;
          case Intervention::What::OnlyA2: a[static_cast<size_t>(h)] = 0.0; b[h].fill_(-1.0); break;
          case Intervention::What::AblateZero: e.ablate.emplace_back(h, false); break;
          case Intervention::What::AblateMean: e.ablate.emplace_back(h, true); break;
        }
        if (iv.diff_only()) e.coefficients_changed = true;
        if (iv.what != Intervention::What::OnlyA2 && iv.diff_only()) e.lambda_changed = true;
      }
    }
    if (e.coefficients_changed) {
      // Filled on the device: a host tensor copied over would wait for the GPU (the head scan makes one per head).
      e.a = at::ones({heads, 1, 1}, at::TensorOptions().device(device).dtype(dtype));
      for (int h = 0; h < heads; ++h) {
        if (a[static_cast<size_t>(h)] != 1.0) e.a[h].fill_(a[static_cast<size_t>(h)]);
      }
      e.b = b.unsqueeze(-1);
    }
    if (e.lambda_changed) e.lambda_rows_for_maps = maps_lambda;
    return e;
  }

  // `heads_out` (heads, T, width) with the ablated heads' rows zeroed or set to their mean over the prompt's
  // positions (kept in the KV cache, so generation steps use the prompt's mean).
  at::Tensor ablated(const at::Tensor& heads_out, const LayerEdits& e, bool whole_prompt, KvCache* cache) const {
    if (e.ablate.empty()) return heads_out;
    at::Tensor out = heads_out.clone();
    for (const auto& [h, mean] : e.ablate) {
      if (!mean) {
        out[h].zero_();
        continue;
      }
      at::Tensor m;
      if (whole_prompt || cache == nullptr || !cache->head_means.count(h)) {
        m = heads_out[h].mean(0, /*keepdim=*/true);  // (1, width)
        if (cache && whole_prompt) cache->head_means[h] = m;
      } else {
        m = cache->head_means.at(h);
      }
      out[h].copy_(m.expand_as(out[h]));
    }
    return out;
  }

  // A layer's input norm, and the queries, keys (both rotated) and values of its tokens, heads before tokens:
  // q (..., H, T, d), k and v (..., KV, T, d). x: (..., T, hidden); leading dimensions are a batch (the head scan's).
  struct AttentionInputs {
    at::Tensor h, q, k, v;
  };
  AttentionInputs attention_inputs(const at::Tensor& x, const LayerWeights& w, const at::Tensor& cos,
                                   const at::Tensor& sin) const {
    const int64_t H = config.num_heads, KV = config.num_kv_heads, d = config.head_dim;
    AttentionInputs in;
    in.h = config.post_norms && !config.sandwich_norms ? x : norm(x, w.input_norm, w.input_norm_bias);
    at::Tensor q_proj = w.q(in.h), k_proj = w.k(in.h);
    if (config.qk_norm == QkNorm::WholeProjection) {  // OLMo 2: over every head at once, before the reshape
      q_proj = rms(q_proj, w.q_norm);
      k_proj = rms(k_proj, w.k_norm);
    }
    auto heads_first = [&](const at::Tensor& t, int64_t heads) {  // (..., T, heads * d) -> (..., heads, T, d)
      std::vector<int64_t> shape = t.sizes().vec();
      shape.back() = heads;
      shape.push_back(d);
      return t.view(shape).transpose(-3, -2);
    };
    in.q = heads_first(q_proj, H);
    in.k = heads_first(k_proj, KV);
    in.v = heads_first(w.v(in.h), KV);
    if (config.qk_norm == QkNorm::PerHead) {  // Qwen3: each head's vector over head_dim, before RoPE
      in.q = rms(in.q, w.q_norm);
      in.k = rms(in.k, w.k_norm);
    }
    // RoPE on the leading rotary_dim dims (all of them but for Phi-3's partial RoPE); GPT-2 has none (its positions
    // are added to the embeddings).
    auto rope = [&](const at::Tensor& t) {
      if (!cos.defined()) return t.contiguous();
      const int64_t r = config.rotary_dim;
      if (r >= d) return (t * cos + rotate_half(t) * sin).contiguous();
      const at::Tensor rot = t.slice(-1, 0, r);
      return at::cat({rot * cos + rotate_half(rot) * sin, t.slice(-1, r)}, -1).contiguous();
    };
    in.q = rope(in.q);
    in.k = rope(in.k);
    return in;
  }

  // lambda of a Diff layer: V1 one value per layer in the compute dtype, as HF (`lambda`); V2 per diff head and query
  // row, lambda_{t,h} = sigmoid(h_t W_lambda)_h (docs/diff-v2.md). `rows`: (..., H/2, T) float32 either way. h: the
  // layer's normed input (..., T, hidden).
  struct Lambdas {
    at::Tensor lambda, rows;
  };
  Lambdas lambdas_of(const LayerWeights& w, const at::Tensor& h) const {
    Lambdas l;
    if (!differential()) return l;
    if (!diff_v2()) {
      l.lambda = lambda_of(w);
      l.rows = l.lambda.to(at::kFloat).reshape({1, 1}).expand({config.num_heads / 2, h.size(-2)}).contiguous();
    } else {
      l.rows = at::sigmoid(w.lambda_proj(h).to(at::kFloat)).transpose(-1, -2).contiguous();
    }
    return l;
  }

  // What o_proj reads: every head's output, tokens first, (..., T, H * d) (V2: H/2 * d). out: the sub-heads'
  // attention outputs (..., H, T, dv); Diff heads combine theirs as D V (V1: normed), with `edits` applied (their
  // ablations only without a batch dimension). `cache`: where ablate=mean keeps the prompt's mean for generation.
  at::Tensor heads_output(const at::Tensor& out, const Lambdas& lambdas, const LayerWeights& w, const LayerEdits& edits,
                          bool whole_prompt, KvCache* cache) const {
    const int64_t H = config.num_heads, half = H / 2;
    at::Tensor heads;
    if (!differential()) {
      heads = out;
    } else if (!diff_v2()) {
      heads = edits.coefficients_changed
                  ? edits.a * out.slice(-3, 0, half) - edits.b.to(dtype) * out.slice(-3, half, H)
                  : out.slice(-3, 0, half) - lambdas.lambda * out.slice(-3, half, H);  // (..., H/2, T, 2d)
      heads = (1.0 - w.lambda_init) * rms_norm(heads, at::Tensor(), config.rms_norm_eps);
    } else {
      // Each sub-head's output A V is formed first and then subtracted, as the authors' code does; this equals D V.
      heads = edits.coefficients_changed
                  ? edits.a * out.slice(-3, 0, H, 2) - edits.b.to(dtype) * out.slice(-3, 1, H, 2)
                  : out.slice(-3, 0, H, 2) - lambdas.rows.to(dtype).unsqueeze(-1) * out.slice(-3, 1, H, 2);
    }
    return ablated(heads, edits, whole_prompt, cache).transpose(-3, -2).flatten(-2);
  }

  // The rest of a layer after attention: o_proj, the residual adds and the MLP, with the family's norms. x: the
  // layer's input (..., T, hidden); attn_out: heads_output's, which may add a leading batch dimension.
  at::Tensor layer_tail(const at::Tensor& x, const LayerWeights& w, const at::Tensor& attn_out) const {
    if (config.post_norms) {  // OLMo 2: norms on the sublayers' outputs, before the residual adds
      const at::Tensor y = x + rms(w.o(attn_out), w.post_attention_norm);
      const at::Tensor h2 = config.sandwich_norms ? rms(y, w.pre_feedforward_norm) : y;  // Gemma 3 also pre-norms
      return y + rms(mlp(w, h2), w.post_feedforward_norm);
    }
    const at::Tensor y = x + w.o(attn_out);
    return y + mlp(w, norm(y, w.post_attention_norm, w.post_attention_norm_bias));
  }

  // One decoder layer of a whole prompt and nothing else: no capture, no cache, no interventions. x: (..., T, hidden)
  // with any leading batch. The head scan's continuation; the same arithmetic as layer_forward.
  at::Tensor plain_layer(const at::Tensor& x, const LayerWeights& w, const at::Tensor& cos, const at::Tensor& sin,
                         int64_t window) const {
    const AttentionInputs in = attention_inputs(x, w, cos, sin);
    const at::Tensor out = attend_heads(in.q, in.k, in.v, at::Tensor(), window, false, nullptr);
    return layer_tail(x, w, heads_output(out, lambdas_of(w, in.h), w, LayerEdits{}, true, nullptr));
  }

  // One decoder layer. x: (T, hidden), the newest T tokens; `cache` (may be null) holds the rotated keys and the
  // values of the tokens before them and receives these. causal_mask: (T, S) over the S = cached + T keys. For a whole
  // prompt (T == S) fills `capture` with lambda, statistics, overviews and the requested maps, and `kept` (when given)
  // with what windows need; for generation steps (T < S) with lambda and the new rows of the requested maps.
  at::Tensor layer_forward(const at::Tensor& x, const LayerWeights& w, const at::Tensor& cos, const at::Tensor& sin,
                           const at::Tensor& causal_mask, const CaptureRequest& request, int index,
                           LayerCapture& capture, DeferredHost& deferred, RunScan* run_scan, KvCache* cache,
                           LayerQK* kept, at::Tensor* mean_map, const LayerReuse& reuse = {}) const {
    const int64_t T = x.size(0);
    std::optional<ScopedStage> stage;  // benchmarks' per-stage profile (Model::set_profiling)
    stage.emplace("forward: norm, projections, RoPE, lambda", device);
    AttentionInputs in = attention_inputs(x, w, cos, sin);
    at::Tensor& k = in.k;
    at::Tensor& v = in.v;
    if (cache) {
      if (cache->k.defined()) {
        k = at::cat({cache->k, k}, 1);                        // (KV, S, d)
        v = at::cat({cache->v, v}, 1);
      }
      cache->k = k;
      cache->v = v;
    }
    const bool whole_prompt = k.size(1) == T;
    // An incremental run's new rows: scanned and captured like a whole prompt's, with the earlier rows from `prior`.
    const int64_t first_row = k.size(1) - T;
    const bool extends = reuse.prior != nullptr;
    const bool scanned = whole_prompt || extends;
    Lambdas lambdas = lambdas_of(w, in.h);
    if (differential()) capture.lambda_init = diff_v2() ? 0 : w.lambda_init;  // V2: 0 keeps "lambda - init" = lambda

    const bool step_rows = !scanned && request.maps != CaptureRequest::Maps::None;
    at::Tensor probs;
    stage.emplace("forward: attention", device);
    const int64_t window = window_of_layer(config, index);
    const at::Tensor out = attend_heads(in.q, k, v, causal_mask, window,
                                        request.attention == CaptureRequest::Attention::Explicit,
                                        step_rows ? &probs : nullptr);
    const LayerEdits edits = layer_edits(request, index, lambdas.rows);
    const at::Tensor attn_out = heads_output(out, lambdas, w, edits, scanned, cache);  // (T, H * d) or V2's
    at::Tensor lambda_rows = edits.lambda_changed ? edits.lambda_rows_for_maps : lambdas.rows;
    if (extends && lambda_rows.defined()) lambda_rows = at::cat({reuse.prior->lambda.slice(1, 0, first_row), lambda_rows}, 1);
    if (differential()) {  // lambda as the layer used it (with its interventions)
      const at::Tensor lambda_host = deferred.to_host(lambda_rows);
      deferred.then([&capture, lambda_host] { capture.lambda = to_matrix(lambda_host); }, "lambda");
    }
    stage.reset();
    if (step_rows) capture_rows(probs, lambda_rows, request, index, capture);

    if (scanned) {
      const at::Tensor q = extends ? at::cat({reuse.prior->q.slice(1, 0, first_row), in.q}, 1) : in.q;
      const LayerQK qk{q, k, lambda_rows, window};
      if (reuse.keep) *reuse.keep = CachedLayer{q, k, v, lambda_rows, {}};
      if (run_scan) {
        run_scan->scan(qk, capture, deferred, extends ? &reuse.prior->scan : nullptr,
                       reuse.keep ? &reuse.keep->scan : nullptr);
      }
      stage.emplace("maps: full maps and rollout", device);
      if (request.maps != CaptureRequest::Maps::None) capture_full_maps(qk, request, index, capture);
      if (mean_map) *mean_map = head_mean_map(qk);
      if (kept) *kept = qk;
      stage.reset();
    }
    stage.emplace("forward: output projection and MLP", device);
    const at::Tensor result = layer_tail(x, w, attn_out);
    stage.emplace("statistics: hidden-state outliers", device);
    if (request.statistics && scanned && run_scan) {
      if (reuse.keep) {
        CachedScan& keep = reuse.keep->scan;
        const CachedScan* prior = extends ? &reuse.prior->scan : nullptr;
        run_scan->add_hidden_state_figures(
            capture, kept_magnitude_order_statistics(result, first_row, reuse.chunk_rows,
                                                     prior ? prior->hidden_counts : at::Tensor(),
                                                     prior ? prior->hidden_abs : at::Tensor(), keep.hidden_counts,
                                                     keep.hidden_abs));
      } else {
        run_scan->add_hidden_state_figures(capture, magnitude_order_statistics(result));
      }
      run_scan->layer_done(deferred);
    }
    return result;
  }

  // The ids of `tokens` after checking them and `request` against the model; throws InputError with advice.
  std::vector<int64_t> checked_ids(const std::vector<Token>& tokens, const CaptureRequest& request) const {
    const ModelConfig& c = config;
    const int64_t T = static_cast<int64_t>(tokens.size());
    if (T == 0) throw InputError("the prompt is empty: type some text");
    if (T > info.max_positions) {
      throw InputError("the prompt has " + std::to_string(T) + " tokens, more than the model's context of " +
                       std::to_string(info.max_positions) + " (max_position_embeddings): shorten it (the CLI's "
                       "--truncate keeps the first tokens)");
    }
    std::vector<int64_t> ids(static_cast<size_t>(T));
    for (int64_t i = 0; i < T; ++i) {
      const int64_t id = tokens[static_cast<size_t>(i)].id;
      if (id < 0 || id >= c.vocab_size) {
        throw InputError("token " + std::to_string(i) + " has id " + std::to_string(id) +
                         ", outside the model's vocabulary of " + std::to_string(c.vocab_size) + " ids");
      }
      ids[static_cast<size_t>(i)] = id;
    }
    if (request.span && (request.span->begin < 0 || request.span->end > T || request.span->begin >= request.span->end)) {
      throw InputError("span of tokens [" + std::to_string(request.span->begin) + ", " +
                       std::to_string(request.span->end) + ") is not inside the prompt's " + std::to_string(T) +
                       " tokens");
    }
    for (const Intervention& iv : request.interventions) {
      const std::string spec = intervention_spec(iv);
      if (iv.layer < 0 || iv.layer >= c.num_layers || iv.head >= info.num_heads) {
        throw InputError("intervention " + spec + ": the model has " + std::to_string(c.num_layers) + " layers of " +
                         std::to_string(info.num_heads) + " heads (L0.." + std::to_string(c.num_layers - 1) +
                         ", H0.." + std::to_string(info.num_heads - 1) + ")");
      }
      if (iv.diff_only() && !differential()) {
        throw InputError("intervention " + spec + ": lambda and only= act on Diff heads, and this model is standard "
                         "(ablate=zero and ablate=mean work on any head)");
      }
    }
    for (const HeadRef& h : request.heads) {
      if (h.layer < 0 || h.layer >= c.num_layers || h.head < 0 || h.head >= info.num_heads) {
        throw InputError("head " + std::to_string(h.layer) + "." + std::to_string(h.head) + " does not exist: the model "
                         "has " + std::to_string(c.num_layers) + " layers of " + std::to_string(info.num_heads) +
                         " heads");
      }
    }
    return ids;
  }

  // Whether a run keeps each layer's rollout on the device for windows (a long prompt's run: no dense maps, a store
  // and overviews) instead of copying every T x T rollout to the host.
  static bool rollout_for_windows(const CaptureRequest& request) {
    return request.rollout && request.maps == CaptureRequest::Maps::None && request.keep_store && request.overviews;
  }

  // Pooled as MapOverview (cells of `cell` x `cell`, the entry of largest |value| with its sign), a block of rows at
  // a time so that the padded copy pooling makes stays small.
  static at::Tensor overview_of(const at::Tensor& map, int64_t cell) {
    const int64_t T = map.size(0);
    const int64_t block = cell * std::max<int64_t>(1, (int64_t{1} << 24) / (cell * std::max<int64_t>(T, 1)));
    std::vector<at::Tensor> parts;
    for (int64_t r0 = 0; r0 < T; r0 += block) parts.push_back(pool_signed_max_abs(map.slice(0, r0, r0 + block), cell));
    return at::cat(parts, 0);
  }

  // Why a long prompt's run cannot keep every layer's rollout for windows (one T x T float32 matrix per layer on the
  // device), or "" when it can (or none is asked for). The run then goes on without rollout and says so.
  std::string rollout_refusal(int64_t T, const CaptureRequest& request) const {
    if (!rollout_for_windows(request)) return "";
    const double kept = 4.0 * static_cast<double>(T) * static_cast<double>(T) * config.num_layers;
    if (kept <= static_cast<double>(kMaxRolloutStoreBytes)) return "";
    return "rollout at " + std::to_string(T) + " tokens would keep one " + std::to_string(T) + " x " +
           std::to_string(T) + " matrix per layer on the device: " +
           std::to_string(static_cast<int64_t>(kept / (1 << 20))) + " MiB for " + std::to_string(config.num_layers) +
           " layers, above the engine's limit of " + std::to_string(kMaxRolloutStoreBytes >> 20) +
           " MiB; shorter prompts show it";
  }

  // Refuses, before any work, a request whose result would not fit on the host: full maps, logits and rollout grow
  // with T^2 or T x V. Statistics and overviews are always small. Rollouts kept for windows count on the device.
  void check_result_size(int64_t T, const CaptureRequest& request) const {
    const int64_t kinds = differential() ? 3 : 1;
    int64_t maps = 0;
    if (request.maps == CaptureRequest::Maps::All) maps = int64_t{config.num_layers} * info.num_heads * kinds;
    if (request.maps == CaptureRequest::Maps::Selected) maps = static_cast<int64_t>(request.heads.size()) * kinds;
    const double map_bytes = 4.0 * static_cast<double>(T) * static_cast<double>(T);
    const bool host_rollout = request.rollout && !rollout_for_windows(request);
    const double bytes = map_bytes * static_cast<double>(maps + (host_rollout ? config.num_layers : 0)) +
                         (request.logits ? 4.0 * static_cast<double>(T) * static_cast<double>(config.vocab_size) : 0);
    if (bytes <= kMaxResultBytes) return;
    auto gib = [](double b) { return std::to_string(static_cast<int64_t>(b / (1 << 20)) / 1024.0).substr(0, 5) + " GiB"; };
    std::string parts = std::to_string(maps) + " full maps of " + std::to_string(T) + " x " + std::to_string(T);
    if (host_rollout) parts += ", rollout of every layer";
    if (request.logits) parts += ", logits of every token";
    throw ResourceError("the result asked for would take " + gib(bytes) + " on the host (" + parts +
                        "), more than the engine's limit of " + gib(kMaxResultBytes) +
                        ": ask for fewer maps (choose layers and heads, or a window of rows and keys), statistics "
                        "and overviews only, or a shorter prompt");
  }
  static constexpr double kMaxResultBytes = 4.0 * (1 << 30);

  // Refuses, before any work, statistics or overviews that the scan cannot compute on this device (scan_refusal:
  // sliding-window layers over prompts longer than their window on CUDA, until the kernels' band is GPU-tested).
  void check_scan_supported(int64_t T, const CaptureRequest& request) const {
    if (!request.statistics && !request.overviews) return;
    for (int i = 0; i < config.num_layers; ++i) {
      const std::string why =
          scan_refusal(device.is_cuda(), T, window_of_layer(config, i), i, config.attn_logit_softcap);
      if (!why.empty()) throw InputError(why);
    }
  }

  // The embeddings of `ids`, the tokens at positions offset, offset + 1, ...: (T, hidden).
  at::Tensor embedded(const std::vector<int64_t>& ids, int64_t offset) const {
    const int64_t T = static_cast<int64_t>(ids.size());
    at::Tensor id_tensor = at::from_blob(const_cast<int64_t*>(ids.data()), {T}, at::kLong).to(device);
    at::Tensor x = embed.index_select(0, id_tensor);  // (T, hidden)
    if (position_embed.defined()) x = x + position_embed.slice(0, offset, offset + T);  // GPT-2's learned positions
    if (config.embed_scaled) {  // Gemma: times sqrt(hidden), a float32 constant cast to the compute dtype
      const at::Tensor scale = at::scalar_tensor(std::sqrt(static_cast<double>(config.hidden_size)),
                                                 at::TensorOptions().dtype(at::kFloat)).to(device, dtype);
      x = x * scale;
    }
    return x;
  }

  // RoPE tables (cos, sin) for positions [offset, S) as HF computes them: inv_freq (with llama3 or linear scaling when
  // configured) and angles in float32, cos/sin cast to the compute dtype. None for GPT-2 (learned positions). Gemma
  // 3's sliding-window layers have their own base (rope_local_theta, unscaled): `local`.
  struct RopeTables {
    std::pair<at::Tensor, at::Tensor> global, local;
    const std::pair<at::Tensor, at::Tensor>& of_layer(const ModelConfig& c, int layer) const {
      return c.local_rope && window_of_layer(c, layer) > 0 ? local : global;
    }
  };
  RopeTables rope_tables(int64_t offset, int64_t S) const {
    auto tables = [&](const ModelConfig& rope) {
      std::vector<float> inv_freq_host = rope_inverse_frequencies(rope);
      at::Tensor inv_freq = at::from_blob(inv_freq_host.data(), {static_cast<int64_t>(inv_freq_host.size())}, at::kFloat)
                                .to(device, at::kFloat, /*non_blocking=*/false, /*copy=*/true);
      at::Tensor positions = at::arange(offset, S, at::TensorOptions().device(device).dtype(at::kLong)).to(at::kFloat);
      at::Tensor angles = at::outer(positions, inv_freq);  // (T, d/2)
      at::Tensor emb = at::cat({angles, angles}, -1);
      return std::make_pair(emb.cos().to(dtype), emb.sin().to(dtype));
    };
    RopeTables r;
    if (config.architecture != Architecture::Gpt2) r.global = tables(config);
    if (config.local_rope) {
      ModelConfig local = config;
      local.rope_theta = config.rope_local_theta;
      local.rope_linear_factor = 1.0;
      r.local = tables(local);
    }
    return r;
  }

  // Runs `ids` (the tokens at positions offset, offset + 1, ...) through every layer; returns the final hidden states
  // (T, hidden) and fills `captures` (one per layer) with what `request` asks for. With `caches` (one per layer),
  // the keys and values of earlier tokens come from them and these tokens' are appended. With `store`, each layer's
  // queries and keys are kept there for windows. `layer_now` tells an error handler where the run was.
  at::Tensor forward(const std::vector<int64_t>& ids, int64_t offset, const CaptureRequest& request,
                     std::vector<LayerCapture>& captures, std::vector<KvCache>* caches, TorchMapStore* store,
                     const std::function<bool()>& should_stop, int* layer_now = nullptr,
                     const RunReuse& reuse = {}) const {
    const int64_t T = static_cast<int64_t>(ids.size()), S = offset + T;
    // An incremental run: the earlier run's keys and values of rows [0, offset) feed the new rows' attention.
    const bool extends = reuse.prior != nullptr;
    std::vector<KvCache> reused;
    if (extends) {
      reused.resize(static_cast<size_t>(config.num_layers));
      for (size_t i = 0; i < reused.size(); ++i) {
        reused[i].k = reuse.prior->layers[i].k.slice(1, 0, offset);
        reused[i].v = reuse.prior->layers[i].v.slice(1, 0, offset);
      }
      caches = &reused;
    }
    const auto on_device = at::TensorOptions().device(device);
    at::Tensor x = embedded(ids, offset);  // (T, hidden)
    const RopeTables rope = rope_tables(offset, S);
    // (T, S): true where key j comes after query i (at position offset + i). The fused path builds its own mask for a
    // whole prompt, so this one is small there.
    at::Tensor causal_mask = offset == 0 && request.attention == CaptureRequest::Attention::Fused
                                 ? at::Tensor()
                                 : at::ones({T, S}, on_device.dtype(at::kBool)).triu(offset + 1);

    captures.resize(static_cast<size_t>(config.num_layers));
    // Defined over whole prompts only; a long prompt's rollout lives in the store (none without one: no host copy).
    const bool windowed_rollout = rollout_for_windows(request);
    const bool rollout = request.rollout && offset == 0 && (!windowed_rollout || store != nullptr);
    at::Tensor rolled;
    DeferredHost deferred;  // statistics, overviews and lambda reach `captures` as the device produces them
    std::optional<RunScan> run_scan;  // a whole prompt's statistics and overviews
    if (offset == 0 || extends) run_scan.emplace(head_layout(), request, S, device, offset, reuse.chunk_rows);
    for (int i = 0; i < config.num_layers; ++i) {
      if (should_stop && should_stop()) throw Cancelled();
      if (layer_now) *layer_now = i;
      at::Tensor mean_map;
      LayerQK kept;
      LayerCapture& capture = captures[static_cast<size_t>(i)];
      const auto& [cos, sin] = rope.of_layer(config, i);
      x = layer_forward(x, layers[static_cast<size_t>(i)], cos, sin, causal_mask, request, i, capture, deferred,
                        run_scan ? &*run_scan : nullptr,
                        caches ? &(*caches)[static_cast<size_t>(i)] : nullptr, store ? &kept : nullptr,
                        rollout ? &mean_map : nullptr,
                        LayerReuse{extends ? &reuse.prior->layers[static_cast<size_t>(i)] : nullptr,
                                   reuse.keep ? &reuse.keep->layers[static_cast<size_t>(i)] : nullptr,
                                   reuse.chunk_rows});
      if (store) store->add_layer(std::move(kept));
      if (rollout) {
        rolled = rollout_step(mean_map, rolled);
        if (!windowed_rollout) {
          capture.rollout = to_matrix(rolled);
        } else {  // a long prompt: the overview now, windows from the device later
          const at::Tensor pooled = deferred.to_host(overview_of(rolled, MapOverview::cell_for(T, request.overview_size)));
          deferred.then([&capture, pooled] { capture.overview.rollout = to_matrix(pooled); }, "rollout overviews");
          store->add_rollout(i, rolled);
        }
      }
    }
    if (run_scan) run_scan->flush(deferred);
    {  // a profile's wait at the end, in two: the device's last work, then the helper thread's steps after it
      ScopedStage device_tail("statistics: waiting for the device at the end", device);
      profile_wait_for_device(device);
    }
    ScopedStage stage("statistics: results to the host", device);
    deferred.finish();
    return x;
  }

  at::Tensor logits(const at::Tensor& x) const {
    at::Tensor logits = at::linear(norm(x, final_norm, final_norm_bias), lm_head);  // (T, V)
    if (config.final_logit_softcap > 0) {  // Gemma: cap * tanh(logits / cap)
      logits = at::tanh(logits / config.final_logit_softcap) * config.final_logit_softcap;
    }
    return logits;
  }
};

bool cuda_available() { return torch::cuda::is_available(); }

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }

std::unique_ptr<Model> Model::load(const std::string& dir, const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->progress = options.progress;
  if (impl->progress) impl->progress(0.0f, "reading config.json");
  impl->config = read_model_config(dir);
  impl->device = parse_device(options.device);
  impl->dtype = parse_dtype(options.dtype);
  {
    // Fail early, with advice, where this LibTorch cannot compute in the dtype on this device (f16 on older CPUs).
    c10::InferenceMode guard;
    try {
      at::Tensor probe = at::ones({2, 2}, at::TensorOptions().device(impl->device).dtype(impl->dtype));
      (void)at::matmul(probe, probe).sum().item<double>();
    } catch (const std::exception&) {
      throw InputError(std::string("dtype ") + dtype_label(impl->dtype) + " is not supported on " +
                       impl->device.str() + " by this LibTorch; use --dtype f32 (or bf16)");
    }
  }
  const ModelConfig& c = impl->config;
  ModelInfo& info = impl->info;
  info.path = dir;
  const size_t slash = dir.find_last_of('/', dir.size() > 1 ? dir.size() - 2 : 0);
  info.name = slash == std::string::npos ? dir : dir.substr(slash + 1);
  if (!info.name.empty() && info.name.back() == '/') info.name.pop_back();
  info.model_type = c.model_type;
  info.kind = c.kind;
  info.attention_variant = attention_variant_name(c);
  info.num_layers = c.num_layers;
  info.num_sub_heads = c.num_heads;
  info.num_heads = c.kind == AttentionKind::Differential ? c.num_heads / 2 : c.num_heads;
  info.num_kv_heads = c.num_kv_heads;
  info.head_dim = c.head_dim;
  info.hidden_size = c.hidden_size;
  info.intermediate_size = c.intermediate_size;
  info.vocab_size = c.vocab_size;
  info.max_positions = c.max_positions;  // sliding windows mask within it (attend(), the maps and the scan)
  for (int l = 0; l < c.num_layers; ++l) info.layer_windows.push_back(window_of_layer(c, l));
  if (std::all_of(info.layer_windows.begin(), info.layer_windows.end(), [](int64_t w) { return w == 0; })) {
    info.layer_windows.clear();  // no layer slides: empty, as ModelInfo says
  }
  info.eos_token_ids = read_eos_token_ids(dir);
  info.rope_theta = c.rope_theta;
  info.rms_norm_eps = c.rms_norm_eps;
  info.tied_embeddings = c.tie_word_embeddings;
  info.attention_bias = c.attention_bias;
  info.compute_dtype = dtype_label(impl->dtype);
  info.device = impl->device.str();

  if (impl->progress) impl->progress(0.05f, "opening the checkpoint");
  c10::InferenceMode guard;
  Checkpoint ckpt(dir);
  impl->load_weights(ckpt);
  info.weight_dtype = ckpt.weight_dtype();
  int64_t params = impl->embed.numel() + impl->final_norm.numel();
  for (const at::Tensor* t : {&impl->position_embed, &impl->final_norm_bias}) {
    if (t->defined()) params += t->numel();
  }
  if (!c.tie_word_embeddings) params += impl->lm_head.numel();
  for (const LayerWeights& w : impl->layers) {
    for (const at::Tensor* t : {&w.input_norm, &w.input_norm_bias, &w.post_attention_norm, &w.post_attention_norm_bias,
                                &w.post_feedforward_norm, &w.pre_feedforward_norm, &w.q_norm, &w.k_norm, &w.q.weight, &w.q.bias, &w.k.weight,
                                &w.k.bias, &w.v.weight, &w.v.bias, &w.o.weight, &w.o.bias, &w.gate.weight,
                                &w.gate.bias, &w.up.weight, &w.up.bias, &w.down.weight, &w.down.bias, &w.lambda_q1,
                                &w.lambda_k1, &w.lambda_q2, &w.lambda_k2, &w.lambda_proj.weight}) {
      if (t->defined()) params += t->numel();
    }
  }
  info.num_parameters = params;
  // Keep the mappings only while weights alias them; converted or GPU weights free the file pages at once.
  if (ckpt.aliased()) impl->files = ckpt.release_files();
  impl->progress = nullptr;
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

AttentionSnapshot Model::run(const std::vector<Token>& tokens, const CaptureRequest& request,
                             const std::function<bool()>& should_stop) const {
  return run(tokens, request, should_stop, nullptr);
}

namespace {

// Rows of a chunk of an incremental run (histogram and hidden-state counts are kept per chunk; a run recomputes from
// the last chunk boundary that both prompts share): on a GPU a chunk's rows cost little beside the launch of a layer's
// work, and each chunk keeps 33 KiB of logit counts and 256 KiB of hidden-state counts per layer (0.27 GiB for 16
// layers at 32K tokens); on the CPU every row counts.
int64_t reuse_chunk_rows(const at::Device& device) { return device.is_cuda() ? 512 : 256; }

// Whether a run of `request` can reuse an earlier run and keep itself for the next (docs/incremental-runs.md): the
// whole-prompt statistics and overviews only; dense maps, logits and rollout are not kept per row, and interventions
// change what the rows mean.
bool reusable_request(const CaptureRequest& request, bool rollout) {
  return request.maps == CaptureRequest::Maps::None && !request.logits && !rollout && request.interventions.empty() &&
         request.statistics && request.overviews;
}

}  // namespace

AttentionSnapshot Model::run(const std::vector<Token>& tokens, const CaptureRequest& request,
                             const std::function<bool()>& should_stop, RunCache* cache) const {
  const Impl& m = *impl_;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int64_t> ids = m.checked_ids(tokens, request);
  const int64_t T = static_cast<int64_t>(ids.size());
  m.check_result_size(T, request);
  m.check_scan_supported(T, request);
  int layer = 0;
  try {
    c10::InferenceMode guard;
    AttentionSnapshot snap;
    snap.model = m.info;
    snap.tokens = tokens;
    snap.request = request;
    CaptureRequest effective = request;
    snap.rollout_refused = m.rollout_refusal(T, request);
    if (!snap.rollout_refused.empty()) effective.rollout = false;
    std::shared_ptr<TorchMapStore> store;
    if (request.keep_store) store = std::make_shared<TorchMapStore>(m.head_layout(), map_kinds_of(m.info), T);

    // Reuse: the rows before the last chunk boundary (and overview cell row) that this prompt shares with the kept
    // run, when both were run with the same settings; the cache then holds this run.
    std::unique_ptr<RunCacheState> next;
    RunReuse reuse;
    if (cache && reusable_request(effective, effective.rollout)) {
      next = std::make_unique<RunCacheState>();
      next->model = &m;
      next->ids = ids;
      next->key = RunCacheKey{effective.attention == CaptureRequest::Attention::Explicit,
                              MapOverview::cell_for(T, effective.overview_size), reuse_chunk_rows(m.device)};
      next->layers.resize(static_cast<size_t>(m.config.num_layers));
      reuse.keep = next.get();
      reuse.chunk_rows = next->key.chunk_rows;
      const RunCacheState* prior = cache->state_.get();
      if (prior && prior->model == &m && prior->key == next->key) {
        const size_t common = static_cast<size_t>(
            std::mismatch(ids.begin(), ids.end(), prior->ids.begin(), prior->ids.end()).first - ids.begin());
        const int64_t step = std::max(next->key.chunk_rows, next->key.cell);
        // At least the last row is recomputed: a prompt equal to (or a prefix of) the kept one still runs a chunk.
        const int64_t first_row = (std::min<int64_t>(static_cast<int64_t>(common), T) - 1) / step * step;
        if (first_row > 0) {
          reuse.prior = prior;
          reuse.first_row = first_row;
        }
      }
    }
    const int64_t first = reuse.first_row;
    const std::vector<int64_t> computed(ids.begin() + first, ids.end());
    at::Tensor x = m.forward(computed, first, effective, snap.layers, nullptr, store.get(), should_stop, &layer, reuse);
    if (request.logits) snap.logits = to_matrix(m.logits(x));
    snap.store = std::move(store);
    snap.reused_tokens = first;
    if (next) cache->state_ = std::move(next);
    snap.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return snap;
  } catch (...) {
    rethrow_as_engine_error("running " + std::to_string(ids.size()) + " tokens on " + m.info.device + " (layer " +
                            std::to_string(layer) + " of " + std::to_string(m.config.num_layers) + ")");
  }
}

HeadScan Model::scan_heads(const std::vector<Token>& prompt, const std::vector<int64_t>& answer,
                           const HeadScanOptions& options, const std::function<bool()>& should_stop) const {
  const Impl& m = *impl_;
  // Teacher forcing: the prompt and the answer's tokens but the last; answer token k is scored at row P - 1 + k.
  const std::vector<Token> sequence = scan_sequence(prompt, answer, m.info.max_positions, m.config.vocab_size);
  return scan_rows(sequence, static_cast<int64_t>(prompt.size()), static_cast<int64_t>(prompt.size()) - 1, answer,
                   options, should_stop);
}

HeadScan Model::scan_heads_span(const std::vector<Token>& prompt, TokenSpan target, const HeadScanOptions& options,
                                const std::function<bool()>& should_stop) const {
  const std::vector<int64_t> ids = span_ids(prompt, target);  // checks the range against the prompt
  (void)scan_sequence(prompt, {}, impl_->info.max_positions, impl_->config.vocab_size);
  return scan_rows(prompt, static_cast<int64_t>(prompt.size()), target.begin - 1, ids, options, should_stop);
}

HeadScan Model::scan_rows(const std::vector<Token>& sequence, int64_t prompt_tokens, int64_t first_row,
                          const std::vector<int64_t>& target_ids, const HeadScanOptions& options,
                          const std::function<bool()>& should_stop) const {
  const Impl& m = *impl_;
  const auto start = std::chrono::steady_clock::now();
  Intervention probe;
  probe.what = options.what;
  probe.value = options.value;
  if (probe.diff_only() && !m.differential()) {
    throw InputError("scan intervention " + scan_what_name(options.what, options.value) +
                     ": lambda and only= act on Diff heads, and this model is standard (use ablate=zero or "
                     "ablate=mean)");
  }
  if (options.batch < 0) throw InputError("the scan's batch must be at least 1 (0: as many as fit the memory budget)");
  const std::vector<int64_t> ids = m.checked_ids(sequence, CaptureRequest{});
  const int64_t P = prompt_tokens, T = static_cast<int64_t>(ids.size());
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(target_ids.size()));  // target rows: first_row ..
  // Scored rows: the target's n rows, then the prompt's last row (the next-token distribution the KL compares) unless
  // it is the first of them (a target after the prompt).
  const int64_t kl_at = first_row == P - 1 ? 0 : n;
  std::vector<int64_t> row_list;
  for (int64_t k = 0; k < n; ++k) row_list.push_back(first_row + k);
  if (kl_at == n) row_list.push_back(P - 1);
  const int64_t scored_rows = static_cast<int64_t>(row_list.size());
  const int heads = m.info.num_heads, L = m.config.num_layers;
  HeadScan scan;
  scan.prompt_tokens = P;
  scan.what = options.what;
  scan.value = options.value;
  scan.batch = options.batch > 0 ? std::min(options.batch, heads)
                                 : scan_batch_for(m.info, T, scored_rows, static_cast<int>(c10::elementSize(m.dtype)), heads,
                                                  options.memory_budget_bytes);
  int layer = 0;
  try {
    c10::InferenceMode guard;
    const Impl::RopeTables rope = m.rope_tables(0, T);
    auto stop_check = [&] {
      if (should_stop && should_stop()) throw Cancelled();
    };
    // The clean run, keeping each layer's input: every intervention at layer L starts from it.
    std::vector<at::Tensor> inputs(static_cast<size_t>(L));
    at::Tensor x = m.embedded(ids, 0);
    for (int i = 0; i < L; ++i) {
      stop_check();
      layer = i;
      inputs[static_cast<size_t>(i)] = x;
      const auto& [cos, sin] = rope.of_layer(m.config, i);
      x = m.plain_layer(x, m.layers[static_cast<size_t>(i)], cos, sin, window_of_layer(m.config, i));
    }
    // Log-probabilities of the scored rows, (..., n, V), in double as next_token_shift computes them.
    const at::Tensor rows = at::tensor(row_list, at::TensorOptions().dtype(at::kLong)).to(m.device);
    auto scored_logp = [&](const at::Tensor& hidden) {
      return at::log_softmax(m.logits(hidden.index_select(-2, rows)).to(at::kDouble), -1);
    };
    const at::Tensor clean = scored_logp(x).unsqueeze(0);  // (1, scored_rows, V)
    scan.target = target_ids.empty() ? std::vector<int64_t>{clean[0][0].argmax().item<int64_t>()} : target_ids;
    const at::Tensor target = at::tensor(scan.target, at::TensorOptions().dtype(at::kLong)).to(m.device);
    const at::Tensor clean_next = clean.select(1, kl_at);  // (1, V)
    // Per batch row (B, 3): the target's summed log-probability, its first token's rank, KL(clean || changed).
    auto score = [&](const at::Tensor& logp) {
      const int64_t B = logp.size(0);
      const at::Tensor target_logp = logp.slice(1, 0, n);
      const at::Tensor picked = target_logp.gather(-1, target.view({1, n, 1}).expand({B, n, 1})).squeeze(-1);  // (B, n)
      const at::Tensor first = logp.select(1, 0);                                                             // (B, V)
      const at::Tensor rank = (first > picked.select(1, 0).unsqueeze(-1)).sum(-1).to(at::kDouble) + 1.0;
      const at::Tensor next = logp.select(1, kl_at);
      const at::Tensor kl = (clean_next.exp() * (clean_next - next)).sum(-1).clamp_min(0.0);
      return at::stack({picked.sum(-1), rank, kl}, -1);
    };
    const at::Tensor clean_score = score(clean).to(at::kCPU);
    std::vector<at::Tensor> scores;  // one (B, 3) per batch, read once at the end (no sync per batch)
    for (int l = 0; l < L; ++l) {
      layer = l;
      const LayerWeights& w = m.layers[static_cast<size_t>(l)];
      const at::Tensor& input = inputs[static_cast<size_t>(l)];
      const auto& [cos, sin] = rope.of_layer(m.config, l);
      // Layer L's attention is the clean run's for every head; only the heads' combination differs.
      const Impl::AttentionInputs in = m.attention_inputs(input, w, cos, sin);
      const at::Tensor out = m.attend_heads(in.q, in.k, in.v, at::Tensor(), window_of_layer(m.config, l), false, nullptr);
      const Impl::Lambdas lambdas = m.lambdas_of(w, in.h);
      for (int h0 = 0; h0 < heads; h0 += scan.batch) {
        stop_check();
        const int h1 = std::min(h0 + scan.batch, heads);
        std::vector<at::Tensor> attn_outs;  // (T, width) each: the layer's heads with head h changed
        for (int h = h0; h < h1; ++h) {
          CaptureRequest one;
          Intervention iv = probe;
          iv.layer = l;
          iv.head = h;
          one.interventions = {iv};
          attn_outs.push_back(m.heads_output(out, lambdas, w, m.layer_edits(one, l, lambdas.rows), true, nullptr));
        }
        at::Tensor y = m.layer_tail(input, w, at::stack(attn_outs));  // (B, T, hidden)
        for (int j = l + 1; j < L; ++j) {
          layer = j;
          const auto& [cos_j, sin_j] = rope.of_layer(m.config, j);
          y = m.plain_layer(y, m.layers[static_cast<size_t>(j)], cos_j, sin_j, window_of_layer(m.config, j));
        }
        scores.push_back(score(scored_logp(y)));
        scan.layer_forwards += int64_t{h1 - h0} * (L - l);
      }
    }
    const at::Tensor host = at::cat(scores).to(at::kCPU).contiguous();
    const double* row = host.data_ptr<double>();
    const double* base = clean_score.data_ptr<double>();
    for (int l = 0, i = 0; l < L; ++l) {
      for (int h = 0; h < heads; ++h, ++i) {
        HeadEffect e;
        e.layer = l;
        e.head = h;
        e.logprob_clean = base[0];
        e.rank_clean = static_cast<int64_t>(base[1]);
        e.logprob_changed = row[3 * i];
        e.rank_changed = static_cast<int64_t>(row[3 * i + 1]);
        e.kl = row[3 * i + 2];
        scan.effects.push_back(e);
      }
    }
    scan.target_begin = first_row + 1;
    rank_by_drop(scan.effects);
    scan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return scan;
  } catch (...) {
    rethrow_as_engine_error("scanning every head over " + std::to_string(T) + " tokens on " + m.info.device +
                            " (layer " + std::to_string(layer) + " of " + std::to_string(L) + ", batches of " +
                            std::to_string(scan.batch) + " heads)");
  }
}

void Model::set_profiling(bool on, bool host_only) {
  StageProfile::instance().enabled = on;
  StageProfile::instance().synchronize = !host_only;
  (void)StageProfile::instance().take();
}

std::map<std::string, double> Model::take_profile() { return StageProfile::instance().take(); }

Model::DeviceMemory Model::device_memory() const {
  DeviceMemory m;
#ifdef DIFFSCOPE_TORCH_CUDA
  if (impl_->device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(impl_->device.index());
    m.current = stats.allocated_bytes[0].current;  // [0]: all pools together
    m.peak = stats.allocated_bytes[0].peak;
  }
#endif
  return m;
}

void Model::reset_peak_memory() const {
#ifdef DIFFSCOPE_TORCH_CUDA
  if (impl_->device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(impl_->device.index());
#endif
}

namespace {

// The next token from a row of logits (V): the argmax, or a draw after temperature scaling from the top-k, cut to the
// nucleus of probability top_p.
int64_t pick_next(const Matrix& logits_row, const GenerationOptions& options, std::mt19937_64& rng) {
  const float* row = logits_row.values.data();
  const int64_t V = logits_row.cols;
  if (options.top_k <= 0 && options.top_p >= 1.0) return std::max_element(row, row + V) - row;
  std::vector<int64_t> order(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; ++i) order[static_cast<size_t>(i)] = i;
  int64_t k = options.top_k > 0 ? std::min<int64_t>(options.top_k, V) : V;
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
  std::vector<double> weights(static_cast<size_t>(k));
  double total = 0;
  for (int64_t i = 0; i < k; ++i) {
    weights[static_cast<size_t>(i)] = std::exp((row[order[static_cast<size_t>(i)]] - row[order[0]]) / options.temperature);
    total += weights[static_cast<size_t>(i)];
  }
  if (options.top_p < 1.0) {  // keep the most likely tokens until their probability reaches top_p (at least one)
    double cumulative = 0;
    int64_t kept = 0;
    while (kept < k && cumulative < options.top_p * total) cumulative += weights[static_cast<size_t>(kept++)];
    k = std::max<int64_t>(kept, 1);
    weights.resize(static_cast<size_t>(k));
  }
  std::discrete_distribution<int64_t> draw(weights.begin(), weights.end());
  return order[static_cast<size_t>(draw(rng))];
}

}  // namespace

Generation Model::generate(const std::vector<Token>& prompt, const GenerationOptions& options,
                           const CaptureRequest& request, const std::function<bool()>& should_stop) const {
  const Impl& m = *impl_;
  if (options.max_new_tokens < 1) throw InputError("max new tokens must be at least 1");
  const bool sampling = options.top_k > 0 || options.top_p < 1.0;
  if (sampling && !(options.temperature > 0)) throw InputError("temperature must be positive for sampling");
  if (!(options.top_p > 0 && options.top_p <= 1.0)) {
    throw InputError("top_p must be in (0, 1], got " + std::to_string(options.top_p));
  }
  std::vector<int64_t> ids = m.checked_ids(prompt, request);
  m.check_result_size(static_cast<int64_t>(ids.size()), request);
  m.check_scan_supported(static_cast<int64_t>(ids.size()), request);
  int layer = 0;
  try {
  c10::InferenceMode guard;
  std::vector<KvCache> caches(static_cast<size_t>(m.config.num_layers));
  Generation out;
  out.prompt.model = m.info;
  out.prompt.tokens = prompt;
  out.prompt.request = request;
  at::Tensor x = m.forward(ids, 0, request, out.prompt.layers, &caches, nullptr, should_stop, &layer);
  Matrix last = to_matrix(m.logits(x.slice(0, x.size(0) - 1)));
  if (request.logits) out.prompt.logits = to_matrix(m.logits(x));

  // Each step captures the new token's row of every map (no statistics: they are defined on whole maps).
  CaptureRequest step_request = request;
  step_request.statistics = false;
  step_request.span.reset();
  step_request.logits = false;
  step_request.rollout = false;
  step_request.overviews = false;
  step_request.keep_store = false;
  std::mt19937_64 rng(options.seed);
  const std::vector<int64_t>& stop_ids = options.stop_ids ? *options.stop_ids : m.info.eos_token_ids;
  int64_t position = static_cast<int64_t>(ids.size());
  for (int step = 0; step < options.max_new_tokens && position < m.info.max_positions; ++step) {
    const int64_t next = pick_next(last, options, rng);
    GenerationStep s;
    s.id = next;
    s.position = position;
    out.steps.push_back(std::move(s));
    if (std::find(stop_ids.begin(), stop_ids.end(), next) != stop_ids.end()) {
      out.stopped_by = StopReason::StopId;
      break;
    }
    if (step + 1 == options.max_new_tokens) break;  // the last token needs no forward pass
    x = m.forward({next}, position, step_request, out.steps.back().rows, &caches, nullptr, should_stop, &layer);
    last = to_matrix(m.logits(x));
    ++position;
  }
  if (out.stopped_by != StopReason::StopId && static_cast<int>(out.steps.size()) < options.max_new_tokens) {
    out.stopped_by = StopReason::Context;
  }
  return out;
  } catch (...) {
    rethrow_as_engine_error("generating from " + std::to_string(prompt.size()) + " tokens on " + m.info.device +
                            " (layer " + std::to_string(layer) + ")");
  }
}

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::StopId: return "stop-id";
    case StopReason::Context: return "context";
    case StopReason::MaxNewTokens: break;
  }
  return "max-new-tokens";
}

}  // namespace diffscope
