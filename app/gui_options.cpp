// Command line parsing of the desktop app. Main thread.
#include "gui_options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "ui_scale.h"

namespace diffscope {

const char* gui_usage() {
  return "usage: diffscope [--model DIR] [--model-b DIR] [--prompt TEXT | --prompt-file F] [--span TEXT]\n"
         "                 [--session FILE]\n"
         "                 [--layout decomposition|comparison|grid] [--rollout] [--layer L] [--head H]\n"
         "                 [--screenshot OUT.png [--frames N] [--timeout S] [--state-json PATH]]\n"
         "                 [--size WxH] [--no-settings] [--demo [--demo-tokens N] [--demo-overviews] [--benchmark N]\n"
         "                         [--demo-layers N] [--demo-heads N]]\n"
         "                 [--benchmark N [--bench-tokens T] [--screenshot OUT.png]]\n"
         "                 [--soak N --soak-file F [--soak-every K] [--soak-bytes B]]\n"
         "\n"
         "  --model DIR       Differential Transformer (HF diffllama folder) for slot A (default assets/models/diff)\n"
         "  --model-b DIR     standard Transformer (HF llama folder) for slot B (default assets/models/standard)\n"
         "  --prompt TEXT     the prompt to run (default: the last one used)\n"
         "  --prompt-file F   the prompt is the file's exact bytes (as diffscope-cli run --prompt-file)\n"
         "  --span TEXT       mark the first occurrence of TEXT in the prompt as the relevant span (signal/noise)\n"
         "  --session FILE    open a session saved by the side panel's Session section (models, prompt, span,\n"
         "                    layout, view, display) instead of giving --prompt, --span, --layout, --layer...\n"
         "                    (--model / --model-b replace its model folders)\n"
         "  --screenshot OUT  run until both slots have a result for the prompt, save the window as PNG, exit\n"
         "  --frames N        frames drawn once results are in, before the screenshot (default 3)\n"
         "  --rollout         open the comparison layout on attention rollout (through the selected layer)\n"
         "  --continue N      with --screenshot: once results are in, continue the prompt by N generated tokens\n"
         "  --step KIND=VALUE with --screenshot, repeatable: once all has settled, do the next step and wait for it:\n"
         "                    prompt=TEXT, load-a=DIR, load-b=DIR, continue=N, export=LIST (as --export),\n"
         "                    view=ZOOM,X,Y (zoom, centre in tokens), save-session=PATH, open-session=PATH,\n"
         "                    recent=N (choose the Recent menu's prompt N, 0 the newest), recent-session=N (open\n"
         "                    the side panel's Recent sessions entry N),\n"
         "                    intervene=[A:|B:]SPEC (a What-if button: SPEC as diffscope-cli --intervene; clear),\n"
         "                    target=TEXT (the What-if target answer), target-span=on|off (span R as the target),\n"
         "                    what-if-view=clean|changed|difference,\n"
         "                    scan=[A:|B:]WHAT (lambda0, only=A2, ablate=zero, ablate=mean), scan-export=csv,json,png,\n"
         "                    scan-open=L,H (a click on the scan's heatmap),\n"
         "                    generated-step=K (the prompt panel's slider: pin the K-th generated token, 0 none)\n"
         "  --timeout S       seconds to wait for results before giving up (default 120)\n"
         "  --state-json PATH with --screenshot: also write the tokens and selection the UI held\n"
         "  --export LIST     with --screenshot: also export, comma-separated: map (focused map PNG, one pixel per\n"
         "                    cell), figure (labelled figure), maps (every map + maps.safetensors), stats (JSON+CSV)\n"
         "  --export-dir DIR  where --export writes (default: current folder)\n"
         "  --mouse X,Y       headless runs: put the mouse pointer at window pixel X,Y (to show a hover)\n"
         "  --size WxH        window size (default 1600x1000)\n"
         "  --no-settings     do not read or write ~/.config/diffscope (settings.json, imgui.ini)\n"
         "  --help-window     open the help window (F1) at start\n"
         "  --fold-sidebar    start with the side panel folded (the arrow at its top unfolds it)\n"
         "  --head-mean       the comparison layout shows the mean of heads (as its \"head mean\" checkbox)\n"
         "  --device D        where the models run: auto (CUDA when available), cpu, cuda or cuda:N\n"
         "  --dtype T         their compute dtype: f32 (default), bf16 or f16 (bf16 halves a GPU's memory and time)\n"
         "  --truncate        run the first tokens that fit each model's context (the prompt panel's checkbox)\n"
         "  --ui-scale P      font and widget size, 75..200 percent (150, 150%, 1.5); Ctrl+= / Ctrl+- / Ctrl+0\n"
         "                    change it in the app, which remembers it\n"
         "  --demo            synthetic attention maps instead of models (no LibTorch run)\n"
         "  --demo-tokens N   tokens of the demo maps (default 64)\n"
         "  --demo-layers N   layers of the demo models (default 4; 16 with --demo-heads 16: the 1B-shaped pair)\n"
         "  --demo-heads N    Diff heads per layer of demo slot A (default 4); slot B has 2N heads\n"
         "  --demo-overviews  with --demo: --demo-tokens tokens, maps kept only as overviews and windows, as a long\n"
         "                    prompt's run has them\n"
         "  --benchmark N     with --demo: time N unchanged frames, N frames that each get a new snapshot and N\n"
         "                    frames zooming to about one token per pixel (whole frame and the UI's part).\n"
         "                    Without --demo: the slots' models (--model, --model-b or the bundled pair) on a prompt\n"
         "                    of --bench-tokens tokens, the focused map in the decomposition with B beside it: N idle\n"
         "                    frames, N frames typing (a key every 3 frames), N keystrokes each timed to the slots'\n"
         "                    statistics and to the focused map's window at screen resolution, N frames zooming to\n"
         "                    about one token per pixel; then memory (RSS, GPU). Prints BENCH {...} JSON lines;\n"
         "                    with --screenshot, saves the final frame. --timeout S bounds each wait for results\n"
         "  --soak N          run N prompts cut from --soak-file F (10..B bytes each, --soak-bytes, default 2000) through\n"
         "                    the app, layouts in turn, printing its resident memory every K prompts (--soak-every,\n"
         "                    default 100) and a SOAK JSON line; then exit (status 1 on a failed prompt)\n"
         "  --bench-tokens T  the real-model benchmark's prompt: the example prompts repeated, cut to at most T tokens\n"
         "                    as each model's tokenizer counts (default 512; exit 2 when T exceeds a model's context)\n";
}

static bool parse_int(const std::string& s, int* out) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') return false;
  *out = static_cast<int>(v);
  return true;
}

bool parse_gui_options(int argc, char** argv, GuiOptions* o, std::string* error) {
  bool bench_tokens_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        *error = arg + " needs a value";
        return false;
      }
      *out = argv[++i];
      return true;
    };
    const auto int_value = [&](int* out) {
      std::string v;
      if (!value(&v)) return false;
      if (!parse_int(v, out)) {
        *error = arg + " needs a whole number, got '" + v + "'";
        return false;
      }
      return true;
    };
    std::string v;
    int n = 0;
    if (arg == "--help" || arg == "-h") {
      o->help = true;
    } else if (arg == "--model") {
      if (!value(&v)) return false;
      o->model_a = v;
    } else if (arg == "--model-b") {
      if (!value(&v)) return false;
      o->model_b = v;
    } else if (arg == "--prompt") {
      if (!value(&v)) return false;
      o->prompt = v;
    } else if (arg == "--prompt-file") {
      if (!value(&v)) return false;
      o->prompt_file = v;
    } else if (arg == "--span") {
      if (!value(&v)) return false;
      o->span = v;
    } else if (arg == "--session") {
      if (!value(&v)) return false;
      o->session = v;
    } else if (arg == "--screenshot") {
      if (!value(&v)) return false;
      o->screenshot = v;
    } else if (arg == "--state-json") {
      if (!value(&v)) return false;
      o->state_json = v;
    } else if (arg == "--layout") {
      if (!value(&v)) return false;
      if (v != "decomposition" && v != "comparison" && v != "grid") {
        *error = "--layout must be decomposition, comparison or grid, got '" + v + "'";
        return false;
      }
      o->layout = v;
    } else if (arg == "--rollout") {
      o->rollout = true;
    } else if (arg == "--layer") {
      if (!int_value(&n)) return false;
      o->layer = n;
    } else if (arg == "--head") {
      if (!int_value(&n)) return false;
      o->head = n;
    } else if (arg == "--frames") {
      if (!int_value(&o->frames)) return false;
    } else if (arg == "--continue") {
      if (!int_value(&o->continue_tokens)) return false;
    } else if (arg == "--step") {
      if (!value(&v)) return false;
      const std::string kind = v.substr(0, v.find('='));
      if (v.find('=') == std::string::npos ||
          (kind != "prompt" && kind != "load-a" && kind != "load-b" && kind != "continue" && kind != "export" &&
           kind != "view" && kind != "save-session" && kind != "open-session" && kind != "recent" &&
           kind != "recent-session" && kind != "intervene" && kind != "target" && kind != "target-span" &&
           kind != "what-if-view" && kind != "scan" && kind != "scan-export" && kind != "scan-open" &&
           kind != "generated-step")) {
        *error = "--step takes prompt=TEXT, load-a=DIR, load-b=DIR, continue=N, export=LIST, view=ZOOM,X,Y, "
                 "save-session=PATH, open-session=PATH, recent=N, recent-session=N, intervene=[A:|B:]SPEC, "
                 "target=TEXT, target-span=on|off, what-if-view=clean|changed|difference, scan=[A:|B:]WHAT, "
                 "scan-export=csv,json,png, scan-open=L,H or generated-step=K, got '" + v + "'";
        return false;
      }
      double zoom = 0, x = 0, y = 0;
      if (kind == "view" && std::sscanf(v.c_str() + 5, "%lf,%lf,%lf", &zoom, &x, &y) != 3) {
        *error = "--step view= needs ZOOM,X,Y (numbers), got '" + v + "'";
        return false;
      }
      o->steps.push_back(v);
    } else if (arg == "--timeout") {
      if (!int_value(&n)) return false;
      o->timeout = n;
    } else if (arg == "--size") {
      if (!value(&o->size)) return false;
    } else if (arg == "--device") {
      if (!value(&o->device)) return false;
    } else if (arg == "--dtype") {
      if (!value(&o->dtype)) return false;
      if (o->dtype != "f32" && o->dtype != "bf16" && o->dtype != "f16") {
        *error = "--dtype must be f32, bf16 or f16, got '" + o->dtype + "'";
        return false;
      }
    } else if (arg == "--demo") {
      o->demo = true;
    } else if (arg == "--demo-overviews") {
      o->demo_overviews = true;
    } else if (arg == "--demo-tokens") {
      if (!int_value(&o->demo_tokens)) return false;
    } else if (arg == "--demo-layers" || arg == "--demo-heads") {
      int* n = arg == "--demo-layers" ? &o->demo_layers : &o->demo_heads;
      if (!int_value(n)) return false;
      if (*n < 1 || *n > 128) {
        *error = arg + " must be 1 .. 128";
        return false;
      }
    } else if (arg == "--benchmark") {
      if (!int_value(&o->benchmark)) return false;
      if (o->benchmark < 1) {
        *error = "--benchmark needs at least 1 frame";
        return false;
      }
    } else if (arg == "--soak" || arg == "--soak-every" || arg == "--soak-bytes") {
      int* n = arg == "--soak" ? &o->soak : arg == "--soak-every" ? &o->soak_every : &o->soak_bytes;
      if (!int_value(n)) return false;
      if (*n < (arg == "--soak-bytes" ? 10 : 1) || *n > 1000000) {
        *error = arg + (arg == "--soak-bytes" ? " must be 10 .. 1000000" : " must be 1 .. 1000000");
        return false;
      }
    } else if (arg == "--soak-file") {
      if (!value(&v)) return false;
      o->soak_file = v;
    } else if (arg == "--bench-tokens") {
      if (!int_value(&o->bench_tokens)) return false;
      if (o->bench_tokens < 2) {  // a keystroke deletes a character: a prompt of one token could become empty
        *error = "--bench-tokens needs at least 2";
        return false;
      }
      bench_tokens_given = true;
    } else if (arg == "--export") {
      if (!value(&o->exports)) return false;
      for (size_t start = 0; start <= o->exports.size();) {
        const size_t comma = std::min(o->exports.find(',', start), o->exports.size());
        const std::string kind = o->exports.substr(start, comma - start);
        if (kind != "map" && kind != "figure" && kind != "maps" && kind != "stats") {
          *error = "--export takes map, figure, maps, stats (comma-separated), got '" + kind + "'";
          return false;
        }
        start = comma + 1;
      }
    } else if (arg == "--export-dir") {
      if (!value(&o->export_dir)) return false;
    } else if (arg == "--mouse") {
      if (!value(&v)) return false;
      float x = 0, y = 0;
      if (std::sscanf(v.c_str(), "%f,%f", &x, &y) != 2) {
        *error = "--mouse needs X,Y in window pixels, got '" + v + "'";
        return false;
      }
      o->mouse = std::make_pair(x, y);
    } else if (arg == "--no-settings") {
      o->no_settings = true;
    } else if (arg == "--help-window") {
      o->help_window = true;
    } else if (arg == "--fold-sidebar") {
      o->fold_sidebar = true;
    } else if (arg == "--head-mean") {
      o->head_mean = true;
    } else if (arg == "--truncate") {
      o->truncate = true;
    } else if (arg == "--ui-scale") {
      if (!value(&v)) return false;
      o->ui_scale = ui::parse_ui_scale(v);
      if (!o->ui_scale) {
        *error = "--ui-scale takes a percentage from 75 to 200 (150, 150%) or a factor (1.5), got '" + v + "'";
        return false;
      }
    } else {
      *error = "unknown option " + arg;
      return false;
    }
  }
  if (bench_tokens_given && (o->demo || o->benchmark == 0)) {
    *error = "--bench-tokens belongs to --benchmark on real models (with --demo, --demo-tokens sets the size)";
    return false;
  }
  if ((o->soak > 0) != o->soak_file.has_value()) {
    *error = "--soak N and --soak-file F go together: N prompts are cut from F";
    return false;
  }
  if (o->soak > 0 && (o->demo || o->benchmark > 0)) {
    *error = "--soak runs the slots' models: it cannot be combined with --demo or --benchmark";
    return false;
  }
  // A session holds the prompt, span, layout, selection and truncate: two sources for them would leave one ignored.
  if (o->session && (o->prompt || o->prompt_file || o->span || o->layout || o->rollout || o->layer || o->head ||
                     o->truncate || o->head_mean)) {
    *error = "--session sets the prompt, span, layout, layer, head, head mean, rollout and truncate: give them in the "
             "session (or leave --session out); only --model / --model-b replace its model folders";
    return false;
  }
  return true;
}

}  // namespace diffscope
