// `diffscope-cli soak`: drives the app's inference worker with real models through many prompts, as a user typing
// would, and reports the process's resident memory as it goes, so that growth over long sessions shows (a leak, a
// cache without a bound, or the allocator keeping pages). Main thread.
#pragma once

#include <string>
#include <vector>

// args are the words after "soak". Returns the process exit code: 0, 1 for an engine error, 2 for bad usage.
int command_soak(const std::vector<std::string>& args);
