// Runs the desktop app headless for GUI tests (--no-settings --screenshot --state-json, under the caller's display)
// and reads back what its UI held. Test thread.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace diffscope::testing {

// The app's executable (the build's diffscope).
const std::string& app_path();

// Whether a display is there (DISPLAY set); without one, says how to get one (a WARN) and returns false.
bool has_display();

// Runs the app with `args` after the headless flags, writing <name>.png, <name>.json and <name>.txt (its output)
// into `out`; returns its exit code (-1 when it did not exit normally), the --state-json in *state (untouched when
// it wrote none) and its output in *output.
int run_app(const std::filesystem::path& out, const std::string& name, const std::string& args,
            nlohmann::json* state, std::string* output = nullptr, int timeout_seconds = 90);

}  // namespace diffscope::testing
