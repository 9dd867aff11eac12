// `diffscope`, the desktop app: GLFW window + OpenGL 3.3 context + Dear ImGui, the inference worker behind two model
// slots, settings persistence, dropped folders, the headless --screenshot mode and the --benchmark (demo snapshots
// here; real models through gui_benchmark.h). Main thread only (the worker runs its own thread and wakes this one with
// glfwPostEmptyEvent).
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_ui.h"
#include "export_panel.h"
#include "map_layouts.h"
#include "gl_api.h"
#include "gl_screenshot.h"
#include "gui_bench_prompt.h"
#include "gui_benchmark.h"
#include "gui_demo_benchmark.h"
#include "gui_soak.h"
#include "tokenizer/hf_tokenizer_utf8.h"
#include "gui_options.h"
#include "gui_slots.h"
#include "gui_ui_scale.h"
#include "gui_what_if.h"
#include "lambda_rows.h"
#include "model_folder.h"
#include "process_memory.h"
#include "recent_prompts_menu.h"
#include "recent_sessions.h"
#include "model_panel.h"
#include "prompt_panel.h"
#include "resources.h"
#include "session.h"
#include "session_state.h"
#include "settings.h"
#include "ui_scale.h"
#include "slot_results.h"
#include "unique_path.h"

namespace fs = std::filesystem;
using namespace diffscope;

namespace {

std::vector<std::string> g_dropped;  // folders dropped on the window (GLFW callback, main thread)
ui::UiState* g_ui_state = nullptr;    // for on_char (GLFW callback, main thread)
volatile std::sig_atomic_t g_quit = 0;  // Ctrl+C / SIGTERM: leave the loop so settings are saved

void on_signal(int) { g_quit = 1; }

void on_drop(GLFWwindow*, int count, const char** paths) {
  for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

// Characters typed (an input method commits an emoji as one): Dear ImGui 1.86 keeps 16-bit characters, so it would
// turn one above U+FFFF into U+FFFD, and it drops private-use ones. While the prompt box has the keyboard those go
// to its own queue, as UTF-8, and the box inserts them at its cursor; everything else goes to ImGui as before.
void on_char(GLFWwindow* window, unsigned int c) {
  if (g_ui_state != nullptr && g_ui_state->prompt_box_active && (c > 0xFFFF || (c >= 0xE000 && c <= 0xF8FF)) &&
      c <= 0x10FFFF) {
    utf8::append(g_ui_state->prompt_typed, static_cast<char32_t>(c));
    return;
  }
  ImGui_ImplGlfw_CharCallback(window, c);
}

void on_glfw_error(int code, const char* description) {
  std::fprintf(stderr, "diffscope: GLFW error %d: %s\n", code, description);
}

// The slot a dropped model folder belongs in: A for a diffllama config, B otherwise.
int slot_for_folder(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "config.json");
  if (!in) return ui::kSlotStandard;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("model_type", std::string()) == "diffllama") return ui::kSlotDiff;
  } catch (const std::exception&) {
  }
  return ui::kSlotStandard;
}

double seconds_now() {
  using clock = std::chrono::steady_clock;
  static const clock::time_point start = clock::now();
  return std::chrono::duration<double>(clock::now() - start).count();
}

// Queues a slot's model, or explains why the path cannot be one. A bad path never unloads the slot: the model it
// holds keeps working and the note says what was wrong with the path.
void load_slot(SlotProvider& slots, ui::UiState& state, int slot, const std::string& dir) {
  const char* letter = slot == ui::kSlotDiff ? "A" : "B";
  std::string& note = state.slot_note[static_cast<size_t>(slot)];
  if (dir.empty()) {
    note.clear();
    slots.load(slot, "");
    return;
  }
  if (const std::optional<std::string> problem = model_folder_problem(dir)) {
    const SlotState current = slots.state(slot);
    const bool holds_model = current.phase == SlotState::Phase::Ready || current.phase == SlotState::Phase::Loading;
    note = std::string(holds_model ? "not loaded: " : "no model in slot ") + (holds_model ? "" : letter) +
           (holds_model ? "" : ": ") + *problem +
           (holds_model ? " (slot " + std::string(letter) + " keeps " + current.model_dir + ")"
                        : std::string(". Type a model folder above, drop one on the window, or start with --model") +
                              (slot == ui::kSlotDiff ? "" : "-b") + " DIR.");
    return;
  }
  note.clear();
  slots.load(slot, dir);
}

struct Window {
  GLFWwindow* handle = nullptr;
  ~Window() {
    if (handle != nullptr) glfwDestroyWindow(handle);
    glfwTerminate();
  }
};

bool write_state_json(const std::string& path, const ui::UiState& state, uint64_t window_requests,
                      std::string* error) {
  nlohmann::json j;
  j["window_requests"] = window_requests;  // windows the views asked the slots for (pooled views of long prompts)
  j["rss_mib"] = resident_mib();            // the process's resident memory now (memory over repeated runs)
  j["layout"] = ui::layout_name(state.settings.layout);
  j["layer"] = state.settings.selection.layer;
  j["head"] = state.settings.selection.head;
  // The prompt as text (bytes that are not UTF-8 written as U+FFFD, see the end), and exactly: its size and bytes.
  j["prompt"] = state.settings.prompt;
  j["prompt_bytes"] = state.settings.prompt.size();
  const auto hex = [](const std::string& bytes) {
    static const char* const kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
      out += kDigits[static_cast<unsigned char>(c) >> 4];
      out += kDigits[static_cast<unsigned char>(c) & 15];
    }
    return out;
  };
  j["prompt_hex"] = hex(state.settings.prompt);
  nlohmann::json recent = nlohmann::json::array();  // the Recent menu, newest first, exactly
  for (const std::string& prompt : state.settings.recent_prompts) recent.push_back(hex(prompt));
  j["recent_prompts_hex"] = recent;
  j["recent_sessions"] = ui::recent_sessions_json(state.settings.recent_sessions);
  // Placeholders the prompt box shows for what it cannot (prompt_text.h), each once, as the legend describes them.
  nlohmann::json hidden = nlohmann::json::array();
  for (const ui::Placeholder& p : state.prompt_text.placeholders_in_display()) {
    hidden.push_back(ui::describe_placeholder(p));
  }
  j["prompt_hidden"] = hidden;
  j["prompt_right_to_left"] = state.prompt_text.right_to_left();
  // The box's soft line breaks (prompt_wrap.h): how many, the width wrapped at, and whether the box's buffer is the
  // display text with exactly those breaks added (never in the prompt's bytes, checked by prompt_hex).
  j["prompt_box"] = {{"soft_breaks", state.prompt_wrapped.breaks.size()},
                     {"width", state.prompt_wrapped.width},
                     {"lines", std::count(state.prompt_box.begin(), state.prompt_box.end(), '\n') + 1},
                     {"consistent", state.prompt_box == state.prompt_wrapped.text &&
                                        ui::unwrap_range(state.prompt_wrapped, 0, state.prompt_box.size()) ==
                                            state.prompt_text.display()}};
  j["lambda_strip"] = ui::shows_lambda_strip(state);  // the decomposition draws lambda by row (Diff V2)
  j["rollout"] = state.show_rollout;
  int paired_layer = 0, paired_head = 0;  // B's layer and head beside A's selection (the comparison's pairing)
  ui::comparison_pair(state, &paired_layer, &paired_head);
  j["paired"] = {{"layer", paired_layer}, {"head", paired_head}};
  j["help"] = state.show_help;
  j["ui_scale"] = state.settings.ui_scale;
  j["font_pixels"] = ImGui::GetIO().Fonts->Fonts.empty() ? 0.0f : ImGui::GetIO().Fonts->Fonts[0]->FontSize;
  // Sizes given at 100% and drawn scaled (ui_pixels.h), as the last frame drew them.
  j["scaled_px"] = {{"stats_panel", state.stats_panel_height}, {"colorbar", state.colorbar_width}};
  j["main_area_width"] = state.main_area_width;  // the maps' column, in pixels
  j["shown_tokens"] = ui::shown_tokens(state).size();  // what the token strip shows (none for an older prompt's run)
  j["previous_prompt"] = ui::shows_previous_prompt(state);
  j["span_bytes"] = state.span_bytes ? nlohmann::json::array({state.span_bytes->first, state.span_bytes->second})
                                     : nlohmann::json();
  j["continuation_note"] = state.continuation_note;
  j["generated_tokens"] = ui::generated_token_indices(state);  // indices into the shown tokens
  j["pinned_token"] = state.pinned_token ? nlohmann::json(*state.pinned_token) : nlohmann::json();
  // The maps' shared view, and what Save would write now (session.h), with the outcome of the last Save / Open.
  j["view"] = {{"zoom", state.view.zoom},           {"center_x", state.view.center_x},
               {"center_y", state.view.center_y},   {"initialized", state.view.initialized},
               {"tokens", state.view_tokens}};
  j["session"] = nlohmann::json::parse(ui::session_to_json(ui::session_from_state(state)));
  j["session_message"] = state.session_message;
  j["session_failed"] = state.session_failed;
  j["session_pending"] = state.session_pending.has_value();
  j["what_if"] = what_if_state_json(state);
  const std::optional<std::string> refusal = ui::export_refusal(state);
  j["export_refusal"] = refusal ? *refusal : std::string();
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const SlotState& s = state.slots[static_cast<size_t>(slot)];
    nlohmann::json js;
    js["phase"] = static_cast<int>(s.phase);
    js["message"] = s.message;
    js["note"] = state.slot_note[static_cast<size_t>(slot)];
    js["sequence"] = s.sequence;
    js["model_dir"] = s.model_dir;
    js["load_error"] = s.load_error;
    js["device"] = s.info ? s.info->device : std::string();         // where the slot's model runs
    js["compute_dtype"] = s.info ? s.info->compute_dtype : std::string();
    js["model_type"] = s.info ? s.info->model_type : std::string();  // the family, as the model panel names it
    js["layer_windows"] = s.info ? s.info->layer_windows : std::vector<int64_t>{};
    js["windows_text"] = s.info ? ui::describe_windows(*s.info) : std::string();  // the model panel's window line
    nlohmann::json pieces = nlohmann::json::array();  // each token's vocabulary piece (the token strip's hover)
    if (s.snapshot) {
      for (const Token& t : s.snapshot->tokens) pieces.push_back(t.piece);
    }
    js["token_pieces"] = pieces;
    const ui::SlotResult result = ui::slot_result(state, slot);
    js["result"] = ui::result_kind_name(result.kind);  // what the views show for this slot
    js["result_message"] = result.message;
    nlohmann::json tokens = nlohmann::json::array();
    if (s.snapshot) {
      for (const Token& t : s.snapshot->tokens) tokens.push_back(t.text);
      js["token_count"] = s.snapshot->tokens.size();  // the ids the model ran (with BOS, as `tokenize` counts)
      js["layers"] = s.snapshot->layers.size();
      js["attention_variant"] = s.snapshot->model.attention_variant;
      js["lambda_varies_by_row"] = ui::lambda_varies_by_row(*s.snapshot);
      js["overviews"] = ui::shows_overviews(*s.snapshot);  // no dense maps: views draw overviews and windows
      js["overview_cell"] = s.snapshot->layers.empty() ? 0 : s.snapshot->layers[0].overview.cell;
    }
    js["tokens"] = tokens;
    j[slot == 0 ? "A" : "B"] = js;
  }
  std::ofstream out(path);
  // A prompt (or a generated token) need not be valid UTF-8: such bytes are written as U+FFFD instead of aborting.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

// --export: the export panel's actions, scripted; prints what was written. False if any failed.
bool run_exports(const ui::UiState& state, const std::string& list, const std::string& dir) {
  bool all_ok = true;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const ui::FocusedMap focus = ui::default_focus(state);
  const auto report = [&](bool ok, const std::string& message) {
    std::printf("  export: %s\n", message.c_str());
    all_ok = all_ok && ok;
  };
  std::string message;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string kind = list.substr(start, comma - start);
    start = comma + 1;
    if (kind == "map") {
      report(ui::export_map_png(state, focus, ui::unique_path(dir + "/map.png"), &message), message);
    } else if (kind == "figure") {
      report(ui::export_figure_png(state, focus, ui::unique_path(dir + "/figure.png"), state.settings.figure_scale,
                                   &message),
             message);
    } else if (kind == "maps") {
      report(ui::export_all_maps(state, dir + "/maps", &message), message);
    } else if (kind == "stats") {
      report(ui::export_stats(state, dir, true, &message), message);
      report(ui::export_stats(state, dir, false, &message), message);
    }
  }
  return all_ok;
}

// The benchmarks' --screenshot: the back buffer of the frame just drawn; says where it went or why not.
// A file's exact bytes (a NUL too, which argv cannot carry); false when it is not a readable regular file (a FIFO
// would block the app).
bool read_exact_file(const std::string& path, std::string* out) {
  std::error_code ec;
  std::ifstream in;
  if (fs::is_regular_file(path, ec)) in.open(path, std::ios::binary);
  std::ostringstream text;
  if (in.is_open()) text << in.rdbuf();
  if (!in.is_open() || in.bad()) return false;
  *out = text.str();
  return true;
}

bool save_window(const std::string& path, int fb_w, int fb_h) {
  std::string error;
  if (!ui::write_window_png(path, fb_w, fb_h, &error)) {
    std::fprintf(stderr, "diffscope: %s\n", error.c_str());
    return false;
  }
  std::printf("diffscope: wrote %s (%d x %d)\n", path.c_str(), fb_w, fb_h);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  diffscope::keep_freed_results_in_heap();  // every keystroke's run reuses the last result's memory
  GuiOptions options;
  std::string error;
  if (!parse_gui_options(argc, argv, &options, &error)) {
    std::fprintf(stderr, "diffscope: %s\n%s", error.c_str(), gui_usage());
    return 2;
  }
  if (options.help) {
    std::printf("%s", gui_usage());
    return 0;
  }
  const bool headless_run = options.screenshot.has_value() || options.benchmark > 0 || options.soak > 0;
  const bool use_settings = !options.no_settings && !headless_run;

  // Settings: the file's, then the command line on top.
  ui::Settings settings;
  const std::string config = ui::config_dir();
  const std::string settings_path = config.empty() ? std::string() : config + "/settings.json";
  if (use_settings && !settings_path.empty() && !ui::load_settings(settings_path, &settings, &error)) {
    std::fprintf(stderr, "diffscope: ignoring settings: %s\n", error.c_str());
  }
  // --session: its settings replace the file's (its model folders too, unless --model / --model-b give others).
  std::optional<ui::Session> session;
  std::string session_error;
  if (options.session) {
    ui::Session opened;
    if (ui::load_session(*options.session, &opened, &session_error)) {
      settings = ui::settings_with_session(settings, opened);
      session = std::move(opened);
    } else {
      std::fprintf(stderr, "diffscope: %s\n", session_error.c_str());  // and in the side panel; the app goes on
    }
  }
  const std::string assets = ui::assets_dir();
  const std::string default_a = assets.empty() ? "assets/models/diff" : assets + "/models/diff";
  const std::string default_b = assets.empty() ? "assets/models/standard" : assets + "/models/standard";
  if (options.model_a) settings.model_a = *options.model_a;
  if (options.model_b) settings.model_b = *options.model_b;
  if (settings.model_a.empty()) settings.model_a = default_a;
  if (settings.model_b.empty()) settings.model_b = default_b;
  if (options.prompt) settings.prompt = *options.prompt;
  if (options.prompt_file) {
    // The file's exact bytes, as `diffscope-cli run --prompt-file` reads them (a NUL too, which argv cannot carry).
    if (options.prompt) {
      std::fprintf(stderr, "diffscope: give one of --prompt or --prompt-file\n");
      return 2;
    }
    if (!read_exact_file(*options.prompt_file, &settings.prompt)) {
      std::fprintf(stderr, "diffscope: cannot read --prompt-file %s\n", options.prompt_file->c_str());
      return 2;
    }
  }
  std::string soak_text;
  if (options.soak > 0) {
    if (!read_exact_file(*options.soak_file, &soak_text) || soak_text.size() < 10) {
      std::fprintf(stderr, "diffscope: --soak-file %s cannot be read or has fewer than 10 bytes\n",
                   options.soak_file->c_str());
      return 2;
    }
    settings.truncate = true;  // pieces of any text: longer than a model's context runs its first tokens
  }
  if (settings.prompt.empty()) settings.prompt = "The magic number of Paris is 4721. What is the magic number of Paris?";
  if (options.layout) settings.layout = *ui::parse_layout(*options.layout);
  if (options.rollout) settings.layout = ui::Layout::Comparison;
  if (options.head_mean) settings.head_mean = true;
  if (options.truncate) settings.truncate = true;
  if (options.layer) settings.selection.layer = *options.layer;
  if (options.head) settings.selection.head = *options.head;
  if (options.benchmark > 0) {
    settings.layout = ui::Layout::Decomposition;
    settings.decomposition_with_b = true;  // four maps on screen: A1, lambda*A2, D and B's map
  }
  const bool model_benchmark = options.benchmark > 0 && !options.demo;
  if (model_benchmark) {
    if (options.prompt) std::fprintf(stderr, "diffscope: --benchmark makes its own prompt: --prompt is not used\n");
    // Natural text the models were made for, as many tokens as asked: the example prompts repeated.
    std::string source;
    for (const ui::ExamplePrompt& e : ui::load_example_prompts(assets)) {
      source += (source.empty() ? "" : "\n\n") + e.text;
    }
    if (source.empty()) source = settings.prompt;  // no assets folder: the default prompt, repeated
    if (!make_bench_prompt({settings.model_a, settings.model_b}, options.bench_tokens, source, &settings.prompt,
                           &error)) {
      std::fprintf(stderr, "diffscope: %s\n", error.c_str());
      return 2;
    }
    // A keystroke's text may tokenize to one token more than the prompt; at T = the context it then still runs.
    settings.truncate = true;
  }

  int width = 1600, height = 1000;
  if (std::sscanf(options.size.c_str(), "%dx%d", &width, &height) != 2 || width < 200 || height < 200) {
    std::fprintf(stderr, "diffscope: --size must look like 1600x1000, got '%s'\n", options.size.c_str());
    return 2;
  }

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "diffscope: cannot start GLFW: is a display available? (headless: run under "
                         "xvfb-run -a -s \"-screen 0 1600x1000x24\")\n");
    return 1;
  }
  Window window;
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  window.handle = glfwCreateWindow(width, height, "DiffScope", nullptr, nullptr);
  if (window.handle == nullptr) {
    std::fprintf(stderr, "diffscope: cannot open a window with OpenGL 3.3 core\n");
    return 1;
  }
  glfwMakeContextCurrent(window.handle);
  glfwSwapInterval(headless_run ? 0 : 1);
  if (headless_run) {  // which GL the run got (on the GPU machine: NVIDIA's through Xvfb, or a software fallback)
    const auto gl_string = [](GLenum name) {
      const char* s = reinterpret_cast<const char*>(glGetString(name));
      return s ? s : "?";
    };
    std::printf("diffscope: OpenGL %s, renderer %s, vendor %s\n", gl_string(GL_VERSION), gl_string(GL_RENDERER),
                gl_string(GL_VENDOR));
    std::fflush(stdout);
  }
  glfwSetDropCallback(window.handle, on_drop);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  const std::string ini_path = config + "/imgui.ini";
  if (use_settings && !config.empty()) {
    std::error_code ec;
    fs::create_directories(config, ec);
    io.IniFilename = ini_path.c_str();
  } else {
    io.IniFilename = nullptr;
  }
  float xscale = 1, yscale = 1;
  glfwGetWindowContentScale(window.handle, &xscale, &yscale);
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  const std::string font = ui::ui_font_path();
  // The monitor's content scale times the user's UI scale (Ctrl+= / Ctrl+- / Ctrl+0, --ui-scale, settings.json).
  UiScaler scaler(font, xscale);
  if (options.ui_scale) settings.ui_scale = *options.ui_scale;
  settings.ui_scale = ui::clamp_ui_scale(settings.ui_scale);
  if (!scaler.apply(settings.ui_scale, false)) {
    std::fprintf(stderr, "diffscope: DejaVu Sans not found (install fonts-dejavu-core): tokens outside ASCII may "
                         "show as '?'\n");
  }
  ImGui_ImplGlfw_InitForOpenGL(window.handle, true);
  glfwSetCharCallback(window.handle, on_char);  // in place of ImGui's, which on_char calls for the rest
  ImGui_ImplOpenGL3_Init("#version 330 core");

  ui::AppUi app(settings);
  ui::UiState& state = app.state();
  g_ui_state = &state;
  state.font_path = font;
  state.examples = ui::load_example_prompts(assets);
  state.show_rollout = options.rollout;
  state.show_help = options.help_window;
  state.sidebar_folded = options.fold_sidebar;
  if (options.span) {
    const size_t at = state.settings.prompt.find(*options.span);
    if (at == std::string::npos) {
      std::fprintf(stderr, "diffscope: --span '%s' is not in the prompt\n", options.span->c_str());
      return 2;
    }
    state.span_bytes = std::make_pair(static_cast<int64_t>(at), static_cast<int64_t>(at + options.span->size()));
    state.span_prompt = state.settings.prompt;
  }
  if (session) {
    // Its prompt, span, rollout and the view it waits for; the folders are the ones loaded below (--model wins).
    session->settings.model_a = state.settings.model_a;
    session->settings.model_b = state.settings.model_b;
    ui::open_session(state, *session, nullptr);
    state.session_path = *options.session;  // Save (Ctrl+S) writes back to the session opened
    ui::remember_session(&state.settings.recent_sessions, *options.session);
    state.session_message = "opened session " + *options.session + " (results are computed again)";
  } else if (!session_error.empty()) {
    state.session_message = session_error;
    state.session_failed = true;
  }
  if (!app.init_gl(ui::shader_dir(), &error)) {
    std::fprintf(stderr, "diffscope: heatmaps unavailable: %s\n", error.c_str());
    if (options.screenshot) return 1;
  }

  std::unique_ptr<SlotProvider> slots;
  DemoSlots* demo = nullptr;
  if (options.demo) {
    auto d = std::make_unique<DemoSlots>(options.benchmark > 0 || options.demo_overviews ? options.demo_tokens : 0,
                                         options.demo_overviews, options.demo_layers, options.demo_heads);
    demo = d.get();
    slots = std::move(d);
    state.path_edit = {"(demo)", "(demo)"};
  } else {
    slots = make_worker_slots([] { glfwPostEmptyEvent(); }, options.device, options.dtype);
    load_slot(*slots, state, ui::kSlotDiff, state.settings.model_a);
    load_slot(*slots, state, ui::kSlotStandard, state.settings.model_b);
  }
  app.set_window_source([&slots](const WindowRequest& request) { return slots->request_window(request); });
  state.submit_now = true;

  const double start = seconds_now();
  int settled_frames = 0;
  bool continue_sent = false;
  size_t next_step = 0;  // --step: the next one to do once all has settled
  bool timed_out = false;
  double frame_ms = 0;
  std::unique_ptr<DemoBenchmark> demo_bench;
  if (options.benchmark > 0 && options.demo) {
    demo_bench = std::make_unique<DemoBenchmark>(options.benchmark, options.demo_tokens);
  }
  std::unique_ptr<ModelBenchmark> bench;
  if (model_benchmark) bench = std::make_unique<ModelBenchmark>(options.benchmark, options.timeout, start);
  std::unique_ptr<AppSoak> soak;
  if (options.soak > 0) {
    soak = std::make_unique<AppSoak>(soak_text, options.soak, options.soak_every, options.soak_bytes, options.timeout,
                                     start);
  }
  int exit_code = 0;
  ui::UiActions last_actions;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!glfwWindowShouldClose(window.handle) && g_quit == 0) {
    // Sleep until input, a worker wake-up or the debounce deadline; headless runs never sleep.
    if (headless_run) {
      glfwPollEvents();
    } else {
      double timeout = 1.0;
      if (last_actions.redraw) timeout = 0.0;
      if (last_actions.wake_in >= 0) timeout = std::min(timeout, last_actions.wake_in);
      glfwWaitEventsTimeout(std::max(0.0, timeout));
    }
    const double frame_start = seconds_now();
    for (const std::string& dir : g_dropped) {
      const int slot = slot_for_folder(dir);
      state.path_edit[static_cast<size_t>(slot)] = dir;
      load_slot(*slots, state, slot, dir);
    }
    g_dropped.clear();

    ui::FrameInput input;
    for (int slot = 0; slot < kNumSlots; ++slot) input.slots[static_cast<size_t>(slot)] = slots->state(slot);
    input.now = seconds_now();
    input.frame_ms = frame_ms;
    if (bench) bench->before_frame(state, input.now);  // a keystroke, the zoomed view
    if (demo_bench) demo_bench->before_frame(state);    // the zoomed view
    if (soak) soak->before_frame(state, input.now);     // the next prompt, once the last one's results are shown

    // A new UI scale (a shortcut last frame): the atlas is built again before this frame uses it.
    if (state.settings.ui_scale != scaler.applied()) scaler.apply(state.settings.ui_scale, true);
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // Headless runs: Xvfb's pointer rests mid-screen and would hover a map; screenshots show no hover.
    if (headless_run) {
      io.MousePos = options.mouse ? ImVec2(options.mouse->first, options.mouse->second) : ImVec2(-FLT_MAX, -FLT_MAX);
    }
    ImGui::NewFrame();
    ui::UiActions actions = app.frame(input);
    ImGui::Render();
    const double ui_ms = (seconds_now() - frame_start) * 1000.0;  // the UI's CPU work, before any drawing
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window.handle, &fb_w, &fb_h);
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(0.09f, 0.09f, 0.11f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

    if (actions.window_screenshot) {
      std::string message;
      const bool ok = ui::write_window_png(*actions.window_screenshot, fb_w, fb_h, &message);
      app.note_export(ok, ok ? "wrote " + *actions.window_screenshot : message);
    }
    for (const auto& [slot, dir] : actions.loads) load_slot(*slots, state, slot, dir);
    if (actions.run) slots->submit(*actions.run);
    for (int slot : actions.cancel_loads) slots->cancel_load(slot);
    if (actions.cancel_run) slots->cancel_run();
    if (actions.scan) slots->scan(*actions.scan);

    // Headless screenshot: once nothing is loading or running and the prompt was submitted, draw a few more frames
    // (textures settle), then save the back buffer of this frame.
    if (options.screenshot && options.benchmark == 0) {
      bool busy = !slots->idle();
      for (int slot = 0; slot < kNumSlots; ++slot) {
        const SlotState& s = input.slots[static_cast<size_t>(slot)];
        const ui::ResultKind shown = ui::slot_result(state, slot).kind;
        // A loaded slot has settled once it answered the prompt in the editor (or failed to); an empty prompt runs
        // nothing.
        busy = busy || s.phase == SlotState::Phase::Loading || s.running ||
               (s.phase == SlotState::Phase::Ready && !state.settings.prompt.empty() &&
                shown != ui::ResultKind::Current && shown != ui::ResultKind::Failed);
      }
      busy = busy || actions.run.has_value() || state.submit_now || app.windows_pending() ||
             state.session_pending.has_value();  // an opened session's view, applied once its results are in
      if (!busy && options.continue_tokens > 0 && !continue_sent) {
        RunRequest request = ui::make_run_request(state);
        request.continue_tokens = options.continue_tokens;
        slots->submit(request);
        continue_sent = true;
        busy = true;
      }
      if (!busy && next_step < options.steps.size()) {
        const std::string& step = options.steps[next_step++];
        const std::string kind = step.substr(0, step.find('=')), value = step.substr(step.find('=') + 1);
        std::printf("diffscope: step %s\n", step.c_str());
        if (kind == "prompt") {  // as typed into the editor, then Ctrl+Enter
          state.settings.prompt = value;
          state.generated_from.reset();
          state.pinned_token.reset();
          state.submit_now = true;
        } else if (kind == "load-a" || kind == "load-b") {  // typed into the path field, then Load
          const int slot = kind == "load-a" ? ui::kSlotDiff : ui::kSlotStandard;
          state.path_edit[static_cast<size_t>(slot)] = value;
          load_slot(*slots, state, slot, value);
        } else if (kind == "continue") {
          RunRequest request = ui::make_run_request(state);
          request.continue_tokens = std::atoi(value.c_str());
          slots->submit(request);
        } else if (kind == "export") {
          if (!run_exports(state, value, options.export_dir)) std::printf("  (an export was refused or failed)\n");
        } else if (kind == "generated-step") {  // the prompt panel's "generated step" slider
          if (!ui::pin_generated_step(state, std::atoi(value.c_str()))) {
            std::printf("  (no generated token %s: the prompt has %zu)\n", value.c_str(),
                        ui::generated_token_indices(state).size());
          }
        } else if (kind == "recent") {  // the Recent menu opened and its prompt N chosen
          if (!ui::restore_recent_prompt(state, static_cast<size_t>(std::atoi(value.c_str())))) {
            std::printf("  (the Recent menu has no prompt %s)\n", value.c_str());
          }
        } else if (kind == "view") {  // where the mouse wheel and a drag would leave the maps' shared view
          std::sscanf(value.c_str(), "%lf,%lf,%lf", &state.view.zoom, &state.view.center_x, &state.view.center_y);
          state.view.initialized = true;
        } else if (kind == "intervene" || kind == "target" || kind == "target-span" || kind == "what-if-view" ||
                   kind == "scan" || kind == "scan-export" || kind == "scan-open") {  // the What-if and scan controls (gui_what_if.h)
          std::string message;
          if (!apply_what_if_step(state, *slots, kind, value, options.export_dir, &message)) {
            std::printf("  (%s)\n", message.c_str());
          } else if (!message.empty()) {
            std::printf("  %s\n", message.c_str());
          }
        } else if (kind == "save-session" || kind == "open-session" || kind == "recent-session") {
          // Typed into the session field, then pressed; or chosen in the Recent sessions list.
          ui::UiActions opened;
          if (kind == "save-session") {
            state.session_path = value;
            ui::save_session_action(state);
          } else if (kind == "open-session") {
            state.session_path = value;
            ui::open_session_action(state, opened);
          } else {
            ui::open_recent_session(state, opened, static_cast<size_t>(std::atoi(value.c_str())));
          }
          for (const auto& [slot, dir] : opened.loads) load_slot(*slots, state, slot, dir);
          std::printf("  session: %s\n", state.session_message.c_str());
        }
        busy = true;
        settled_frames = 0;
      }
      settled_frames = busy ? 0 : settled_frames + 1;
      timed_out = seconds_now() - start > options.timeout;
      if (settled_frames > options.frames || timed_out) {
        glFinish();
        if (!ui::write_window_png(*options.screenshot, fb_w, fb_h, &error)) {
          std::fprintf(stderr, "diffscope: %s\n", error.c_str());
          exit_code = 1;
        } else {
          std::printf("diffscope: wrote %s (%d x %d)\n", options.screenshot->c_str(), fb_w, fb_h);
        }
        for (int slot = 0; slot < kNumSlots; ++slot) {
          const SlotState& s = input.slots[static_cast<size_t>(slot)];
          const std::string note = state.slot_note[static_cast<size_t>(slot)];
          std::printf("  slot %s: %s%s\n", slot == 0 ? "A" : "B",
                      s.snapshot ? (std::to_string(s.snapshot->tokens.size()) + " tokens, " + s.message).c_str()
                                 : "no result",
                      note.empty() ? (s.phase == SlotState::Phase::Failed ? (": " + s.message).c_str() : "")
                                   : (" (" + note + ")").c_str());
        }
        if (!options.exports.empty() && !run_exports(state, options.exports, options.export_dir)) exit_code = 1;
        if (options.state_json && !write_state_json(*options.state_json, state, app.fetcher().requests(), &error)) {
          std::fprintf(stderr, "diffscope: %s\n", error.c_str());
          exit_code = 1;
        }
        if (timed_out && exit_code == 0) {
          std::fprintf(stderr, "diffscope: timed out after %.0f s waiting for results; the screenshot shows the "
                               "state at that time\n", options.timeout);
          exit_code = 3;
        }
        break;
      }
    }

    // Benchmark: N frames with nothing new, N frames that each receive a new snapshot (derive + upload maps), N
    // frames zooming in (gui_demo_benchmark.h).
    if (demo_bench && demo != nullptr) {
      glFinish();  // count the GPU's work (on Mesa llvmpipe, the CPU's) in the frame
      if (demo_bench->after_frame(state, (seconds_now() - frame_start) * 1000.0, ui_ms)) demo->republish();
      if (demo_bench->done()) {
        const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
        std::printf("benchmark: %d tokens, %d layers x %d heads (A) / %d heads (B), %d x %d window, GL renderer: %s\n",
                    options.demo_tokens, options.demo_layers, options.demo_heads, 2 * options.demo_heads, fb_w, fb_h,
                    renderer ? renderer : "?");
        demo_bench->report(stdout);
        if (options.screenshot && !save_window(*options.screenshot, fb_w, fb_h)) exit_code = 1;
        break;
      }
    }

    // Benchmark on the slots' models: the frame is timed once the GL queue has drained, then the benchmark looks at
    // what it showed.
    if (bench) {
      if (actions.run) bench->note_submitted(*actions.run, seconds_now());
      glFinish();
      const double end = seconds_now();
      bench->after_frame(state, app.fetcher(), end, (end - frame_start) * 1000.0);
      if (bench->done()) {
        const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
        BenchMemory memory;
        memory.rss_mib = resident_mib();
        memory.peak_rss_mib = peak_resident_mib();
        for (int slot = 0; slot < kNumSlots; ++slot) {
          const SlotState s = slots->state(slot);
          const Model::DeviceMemory m = slots->device_memory(slot);
          memory.slots.push_back({s.info ? s.info->device : std::string(), m.current, m.peak});
        }
        bench->report(stdout, renderer ? renderer : "?", fb_w, fb_h, memory);
      } else if (bench->failed()) {
        std::fprintf(stderr, "diffscope: benchmark: %s\n", bench->error().c_str());
        exit_code = bench->timed_out() ? 3 : 1;
      }
      if (bench->done() || bench->failed()) {
        // The final frame (or, after a failure, what the app showed then).
        if (options.screenshot && !save_window(*options.screenshot, fb_w, fb_h)) exit_code = 1;
        break;
      }
    }

    // Soak: the next prompt once every slot shows this one's results; memory sampled then.
    if (soak) {
      soak->after_frame(state, app.fetcher(), seconds_now(), resident_mib());
      if (soak->failed()) {
        std::fprintf(stderr, "diffscope: soak: %s\n", soak->error().c_str());
        exit_code = 1;
      }
      if (soak->done() || soak->failed()) {
        soak->report(stdout);
        break;
      }
    }

    glfwSwapBuffers(window.handle);
    frame_ms = (seconds_now() - frame_start) * 1000.0;
    last_actions = actions;
    // The model benchmark draws at most 60 frames a second, as vsync on a 60 Hz display lets the app: unpaced
    // headless frames would take CPU time from the engine that a user's app never takes.
    if (bench || soak) {
      const double left = frame_start + ModelBenchmark::kFrameInterval - seconds_now();
      if (left > 0) std::this_thread::sleep_for(std::chrono::duration<double>(left));
    }
  }

  if (use_settings && !settings_path.empty()) {
    // The folders the slots hold, not paths typed that failed to load (those would fail again at the next start).
    for (int slot = 0; slot < kNumSlots && !options.demo; ++slot) {
      const SlotState s = slots->state(slot);
      if (s.phase == SlotState::Phase::Ready || s.phase == SlotState::Phase::Empty) {
        (slot == ui::kSlotDiff ? state.settings.model_a : state.settings.model_b) = s.model_dir;
      }
    }
    if (!ui::save_settings(settings_path, state.settings, &error)) {
      std::fprintf(stderr, "diffscope: %s\n", error.c_str());
    }
  }
  g_ui_state = nullptr;
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  return exit_code;
}
