// Run-time file lookup for shaders, assets and fonts. Main (UI) thread.
#include "resources.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace diffscope::ui {

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string find_data_dir(const std::string& name, const std::string& marker) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("DIFFSCOPE_DATA_DIR"); env != nullptr && *env != '\0') {
    candidates.push_back(fs::path(env) / name);
  }
  const std::string exe = executable_dir();
  if (!exe.empty()) {
    const fs::path dir(exe);
    candidates.push_back(dir / name);
    candidates.push_back(dir.parent_path() / name);
    candidates.push_back(dir.parent_path().parent_path() / name);
    candidates.push_back(dir.parent_path() / "share" / "diffscope" / name);
  }
#ifdef DIFFSCOPE_SOURCE_DIR
  candidates.push_back(fs::path(DIFFSCOPE_SOURCE_DIR) / name);
#endif
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::exists(c / marker, ec)) return c.lexically_normal().string();
  }
  return {};
}

std::string shader_dir() { return find_data_dir("shaders", "heatmap.frag"); }

std::string assets_dir() { return find_data_dir("assets", "prompts"); }

std::string ui_font_path() {
  for (const char* p : {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                        "/usr/share/fonts/TTF/DejaVuSans.ttf"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return {};
}

std::vector<ExamplePrompt> load_example_prompts(const std::string& assets) {
  std::vector<ExamplePrompt> prompts;
  if (assets.empty()) return prompts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(assets) / "prompts", ec)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    // The file's exact bytes, its final newline too: the button must run what `--prompt-file` runs.
    std::string text = buffer.str();
    std::string name = entry.path().stem().string();
    std::replace(name.begin(), name.end(), '_', ' ');
    prompts.push_back({name, text});
  }
  std::sort(prompts.begin(), prompts.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return prompts;
}

}  // namespace diffscope::ui
