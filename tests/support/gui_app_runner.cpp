// Headless app runs for GUI tests. Test thread.
#include "gui_app_runner.h"

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "file_text.h"

namespace diffscope::testing {

const std::string& app_path() {
  static const std::string path = DIFFSCOPE_APP;
  return path;
}

bool has_display() {
  if (std::getenv("DISPLAY") != nullptr) return true;
  WARN("no display: run under xvfb-run -a -s \"-screen 0 1600x1000x24\"");
  return false;
}

int run_app(const std::filesystem::path& out, const std::string& name, const std::string& args,
            nlohmann::json* state, std::string* output, int timeout_seconds) {
  const std::filesystem::path json = out / (name + ".json"), text = out / (name + ".txt");
  const std::string command = app_path() + " --no-settings --screenshot " + (out / (name + ".png")).string() +
                              " --state-json " + json.string() + " --timeout " + std::to_string(timeout_seconds) +
                              " " + args + " > " + text.string() + " 2>&1";
  INFO(command);
  const int status = std::system(command.c_str());
  if (std::filesystem::exists(json)) *state = nlohmann::json::parse(read_file_text(json));
  if (output) *output = read_file_text(text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace diffscope::testing
