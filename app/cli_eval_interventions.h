// `diffscope-cli eval-interventions`: the paper's question on the held-out needle episodes (engine/
// intervention_eval.h): the answer's log-probability drop when every Diff head's lambda is 0 against random head
// knockouts, with controls; prints a Markdown table (and writes it with --out). Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "eval-interventions". Returns the exit code: 0, 1 for an engine error, 2 for bad usage.
int command_eval_interventions(const std::vector<std::string>& args);
