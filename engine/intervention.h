// Interventions in the forward pass (issue 14): per (layer, head), override or scale a Diff head's lambda, keep only
// its A1 or A2 half, or ablate any head's output (zero, or its mean over the prompt's positions); applied while the
// model runs, so every later layer sees the change. Plain C++ (the parser and the type); any thread.
#pragma once

#include <string>
#include <vector>

namespace diffscope {

struct Intervention {
  enum class What { Lambda, LambdaScale, OnlyA1, OnlyA2, AblateZero, AblateMean };
  int layer = 0;
  int head = -1;  // -1: every head of the layer (heads as --maps numbers them: Diff heads for a Diff model)
  What what = What::AblateZero;
  double value = 0;  // Lambda: the new lambda; LambdaScale: the factor lambda is multiplied by

  bool diff_only() const { return what == What::Lambda || what == What::LambdaScale || what == What::OnlyA1 ||
                                  what == What::OnlyA2; }
};

// Parses "L<layer>.H<head>:<what>" with <head> a number or * and <what> one of lambda=<value>,
// lambda_scale=<factor>, only=A1, only=A2, ablate=zero, ablate=mean. Throws InputError naming the part that is wrong.
Intervention parse_intervention(const std::string& spec);

// The spec back: "L3.H*:lambda=0".
std::string intervention_spec(const Intervention& intervention);

}  // namespace diffscope
