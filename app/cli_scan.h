// `diffscope-cli scan`: the head-effect scan (engine/head_scan.h): one intervention per head, ranked by how much it
// lowers a target's log-probability; writes the table (CSV or JSON) and optionally a layer x head PNG. Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "scan". Returns the exit code: 0, 1 for an engine error, 2 for bad usage.
int command_scan(const std::vector<std::string>& args);
