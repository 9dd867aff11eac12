// The prompt the app runs is the user's exact bytes (issue 11): the app, headless on the bundled models, is given
// prompts with an emoji, a TAB, a CJK character above U+FFFF, CR LF, a NUL and a byte that is not UTF-8 (through
// --prompt, --step prompt= and --prompt-file), and what it held (--state-json: the prompt's bytes, slot A's token
// count and tokens) must equal the bytes given and what `diffscope-cli tokenize --model assets/models/diff` makes of
// the same bytes. Needs a display: run under xvfb-run (skipped without one). Test thread.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope::testing;

namespace {

const std::string kModels = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";

// The CLI's tokens of `bytes` for the bundled Diff model (it reads --file as bytes).
nlohmann::json cli_tokens(const fs::path& out, const std::string& bytes) {
  const fs::path text = out / "cli_text.bin", json = out / "cli_tokens.json";
  std::ofstream(text, std::ios::binary) << bytes;
  const std::string command = std::string(DIFFSCOPE_CLI) + " tokenize --model " + kModels + "/diff --file " +
                              text.string() + " > " + json.string();
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
  return nlohmann::json::parse(read_file_text(json));
}

// Runs the app on the bundled pair with `args`; returns what the UI held at the end.
nlohmann::json run_bundled(const fs::path& out, const std::string& args) {
  nlohmann::json state;
  REQUIRE(run_app(out, "state", "--model " + kModels + "/diff --model-b " + kModels + "/standard " + args, &state) ==
          0);
  return state;
}

void check_same_as_cli(const nlohmann::json& state, const nlohmann::json& cli, const std::string& bytes) {
  CHECK(state["prompt_bytes"] == bytes.size());
  CHECK(state["prompt_hex"] == hex_bytes(bytes));
  CHECK(state["A"]["result"] == "current");
  CHECK(state["A"]["token_count"] == cli["ids"].size());
  CHECK(state["A"]["tokens"] == cli["tokens"]);
}

}  // namespace

TEST_CASE("the app runs the exact bytes of --prompt, --step prompt= and --prompt-file, as the CLI tokenizes them") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_prompt_bytes");
  const fs::path& out = folder.path();
  // U+1F600 (F0 9F 98 80), TAB, U+20BB7 (F0 A0 AE B7, CJK extension B). 24 tokens with the BOS by the CLI when this
  // test was written; ImGui's own text box made U+FFFD of both characters and dropped the TAB, and ran other ids.
  const std::string typed = "The magic number of Paris \xF0\x9F\x98\x80 is\t4721 \xF0\xA0\xAE\xB7.";

  SECTION("--prompt") {
    const nlohmann::json state = run_bundled(out, "--prompt '" + typed + "'");
    const nlohmann::json cli = cli_tokens(out, typed);
    check_same_as_cli(state, cli, typed);
    // The prompt box shows a placeholder for each character it cannot hold, and says what each stands for.
    CHECK(state["prompt_hidden"] ==
          nlohmann::json::array({"U+1F600 (above U+FFFF)", "U+20BB7 (above U+FFFF)"}));
  }
  SECTION("--step prompt=, with CR LF and a zero-width joiner") {
    const std::string stepped = typed + "\r\nman\xE2\x80\x8Dwoman";
    const nlohmann::json state = run_bundled(out, "--prompt first --step 'prompt=" + stepped + "'");
    check_same_as_cli(state, cli_tokens(out, stepped), stepped);
  }
  SECTION("--prompt-file with a NUL, a byte that is not UTF-8, Hebrew and the final newline") {
    static const char kFile[] = "Paris \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\0 is\xFF 4721.\n";
    const std::string bytes(kFile, sizeof kFile - 1);
    std::ofstream(out / "prompt.txt", std::ios::binary) << bytes;
    const nlohmann::json state = run_bundled(out, "--prompt-file " + (out / "prompt.txt").string());
    check_same_as_cli(state, cli_tokens(out, bytes), bytes);
    CHECK(state["prompt_right_to_left"] == true);
  }
}

TEST_CASE("a long prompt wraps in the app's prompt box; the model gets its bytes without the soft breaks") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_prompt_wrap");
  const fs::path& out = folder.path();
  // One line of ~1200 bytes with an emoji and a TAB in it, then a typed line break and a short line.
  std::string bytes;
  for (int i = 0; i < 120; ++i) bytes += i == 60 ? "\xF0\x9F\x98\x80\t " : "word" + std::to_string(i) + " ";
  bytes += "\nlast line";
  std::ofstream(out / "long.txt", std::ios::binary) << bytes;
  const std::string fixtures = DIFFSCOPE_FIXTURES;
  nlohmann::json state;
  REQUIRE(run_app(out, "wrap",
                  "--model " + fixtures + "/hf/diffllama_gqa_tied --model-b " + fixtures +
                      "/hf/llama_gqa_tied --truncate --prompt-file " + (out / "long.txt").string(),
                  &state) == 0);
  CHECK(state["prompt_hex"] == hex_bytes(bytes));
  CHECK(state["A"]["result"] == "current");
  const nlohmann::json& box = state["prompt_box"];
  INFO(box.dump());
  CHECK(box["consistent"] == true);
  // The side panel's box at 1600 x 1000 is ~370 px wide: 1200 bytes of ~7 px glyphs take a dozen or more lines.
  CHECK(box["soft_breaks"].get<int>() >= 10);
  CHECK(box["lines"].get<int>() == box["soft_breaks"].get<int>() + 2);  // and the one typed line break
}
