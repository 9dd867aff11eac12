// The registry of model families: model_type -> the family's description (family.h), and the model types DiffScope
// knows of but refuses. A new family adds its description's function here (declaration and table). Any thread.
#include "model/family.h"

namespace diffscope {

// Each defined in engine/model/<family>.cpp.
const ModelFamily& llama_family();
const ModelFamily& diffllama_family();
const ModelFamily& gpt2_family();
const ModelFamily& qwen2_family();
const ModelFamily& qwen3_family();
const ModelFamily& mistral_family();
const ModelFamily& olmo2_family();
const ModelFamily& phi3_family();
const ModelFamily& gemma2_family();
const ModelFamily& gemma3_text_family();

namespace {

// In the order messages list them.
using FamilyFunction = const ModelFamily& (*)();
constexpr FamilyFunction kFamilies[] = {
    llama_family, diffllama_family, gpt2_family,  qwen2_family,  qwen3_family,
    mistral_family, olmo2_family, phi3_family, gemma2_family, gemma3_text_family,
};

}  // namespace

const ModelFamily* find_model_family(const std::string& model_type) {
  for (FamilyFunction family : kFamilies) {
    if (family().model_type == model_type) return &family();
  }
  return nullptr;
}

std::string supported_model_types() {
  std::string s;
  const size_t n = sizeof(kFamilies) / sizeof(kFamilies[0]);
  for (size_t i = 0; i < n; ++i) {
    s += std::string(i == 0 ? "" : i + 1 == n ? " and " : ", ") + "\"" + kFamilies[i]().model_type + "\"";
  }
  return s;
}

std::string refused_model_type(const std::string& model_type) {
  if (model_type == "gemma3") {
    return "model_type \"gemma3\" is Gemma 3's image-and-text model: DiffScope runs the text model "
           "(Gemma3ForCausalLM, model_type \"gemma3_text\", as google/gemma-3-1b-pt is)";
  }
  if (model_type == "qwen3_moe" || model_type == "qwen2_moe" || model_type == "mixtral") {
    return "model_type \"" + model_type + "\" is a mixture of experts, which DiffScope does not run (its dense "
           "relatives " + supported_model_types() + " it does)";
  }
  return "";
}

}  // namespace diffscope
