// Command line of the desktop app (`diffscope`): model folders, prompt, layout/selection, headless screenshot, demo
// data and the frame-time benchmark. Main thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace diffscope {

struct GuiOptions {
  std::optional<std::string> model_a;   // --model DIR (slot A, the Diff model)
  std::optional<std::string> model_b;   // --model-b DIR (slot B, the standard model)
  std::optional<std::string> prompt;    // --prompt TEXT
  std::optional<std::string> prompt_file;  // --prompt-file FILE: the prompt is the file's exact bytes
  std::optional<std::string> screenshot;  // --screenshot OUT.png: render, save the window, exit
  std::optional<std::string> layout;    // --layout decomposition|comparison|grid
  bool rollout = false;                 // --rollout: the comparison layout shows attention rollout
  std::optional<int> layer, head;       // --layer L --head H
  std::optional<std::string> span;      // --span TEXT: mark the first occurrence of TEXT in the prompt as R
  std::optional<std::string> session;   // --session FILE: open this session at start (ui/session.h)
  int frames = 3;                       // --frames N: frames drawn after results arrive, before the screenshot
  int continue_tokens = 0;              // --continue N: with --screenshot, press "Continue" once for N tokens
  // --step KIND=VALUE (repeatable), with --screenshot: once everything has settled, do the next step, as a user would,
  // and wait for it to settle: prompt=TEXT (the prompt becomes TEXT and runs), load-a=DIR / load-b=DIR (type DIR into
  // the slot's path field and press Load), continue=N ("Continue" for N tokens), export=LIST (as --export),
  // view=ZOOM,X,Y (the maps' zoom and centre in tokens, as the wheel and a drag set them), save-session=PATH /
  // open-session=PATH (PATH typed into the session field, then Save / Open; an empty PATH saves under the default
  // name).
  std::vector<std::string> steps;
  double timeout = 120;                 // --timeout S: give up waiting for results
  std::string size = "1600x1000";       // --size WxH: window size
  std::optional<std::string> state_json;  // --state-json PATH: what the UI held at the screenshot (for tests)
  bool demo = false;                    // --demo: synthetic snapshots instead of models
  int demo_tokens = 64;                 // --demo-tokens N
  int demo_layers = 4;                  // --demo-layers N: layers of both demo models
  int demo_heads = 4;                   // --demo-heads N: Diff heads of slot A (slot B has twice as many)
  bool demo_overviews = false;          // --demo-overviews: demo snapshots as a long prompt's run (overviews, windows)
  // --benchmark N: with --demo, N frames idle + N frames with new snapshots; else the slots' models on a prompt of
  // --bench-tokens tokens: N frames of each phase and N keystrokes waited for (app/gui_benchmark.h). Then exit.
  int benchmark = 0;
  int bench_tokens = 512;               // --bench-tokens T: the real-model benchmark's prompt has at most T tokens
  // --soak N --soak-file F: N prompts cut from F through the app, resident memory every --soak-every K prompts
  // (app/gui_soak.h), pieces of at most --soak-bytes B bytes. Then exit.
  int soak = 0;
  std::optional<std::string> soak_file;
  int soak_every = 100;
  int soak_bytes = 2000;
  bool no_settings = false;             // --no-settings: neither read nor write settings/imgui.ini
  bool help_window = false;             // --help-window: the help window open at start
  bool fold_sidebar = false;            // --fold-sidebar: the side panel folded at start
  bool head_mean = false;               // --head-mean: the comparison layout shows the mean of heads
  std::string device = "auto";          // --device: where the models run (auto: CUDA when available)
  std::string dtype = "f32";            // --dtype: their compute dtype
  bool truncate = false;                // --truncate: the prompt panel's "truncate to the model's context" on
  std::optional<float> ui_scale;        // --ui-scale P: font and style size, 0.75..2 (settings.json keeps it)
  std::optional<std::pair<float, float>> mouse;  // --mouse X,Y: headless runs put the pointer there (hover shots)
  std::string exports;                  // --export map,figure,window,maps,stats: with --screenshot, also export these
  std::string export_dir = ".";         // --export-dir DIR
  bool help = false;
};

// Parses argv; returns false with *error for unknown options or missing/bad values.
bool parse_gui_options(int argc, char** argv, GuiOptions* options, std::string* error);

const char* gui_usage();

}  // namespace diffscope
