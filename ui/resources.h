// Where the app finds its files at run time: shaders/, assets/ (example prompts, default models) and the UI font.
// Main (UI) thread.
#pragma once

#include <string>
#include <vector>

namespace diffscope::ui {

// Folder of the running executable (from /proc/self/exe), empty when unknown.
std::string executable_dir();

// The first existing folder `name` (e.g. "shaders") that contains `marker`: $DIFFSCOPE_DATA_DIR/name, then next to
// the executable and up to two levels above it, then share/diffscope/name beside the executable's prefix, then the
// source tree the app was built from. Empty when none has it.
std::string find_data_dir(const std::string& name, const std::string& marker);

// The shaders folder (contains heatmap.frag).
std::string shader_dir();
// The assets folder (contains prompts/).
std::string assets_dir();

// A TrueType font with wide Unicode coverage (DejaVu Sans from fonts-dejavu-core), empty when none is installed.
std::string ui_font_path();

struct ExamplePrompt {
  std::string name;  // file name without .txt, underscores as spaces
  std::string text;  // the file's exact bytes (a final newline included)
};
// Every assets/prompts/*.txt, sorted by name.
std::vector<ExamplePrompt> load_example_prompts(const std::string& assets);

}  // namespace diffscope::ui
