// Example prompts (ui/resources.h) are the files' exact bytes, a final newline included, so that a button runs what
// `diffscope-cli run --prompt-file` runs on the same file (issue 11). Test thread.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "resources.h"

namespace fs = std::filesystem;
using namespace diffscope::ui;

TEST_CASE("example prompts keep the file's exact bytes") {
  const fs::path assets = fs::temp_directory_path() / "diffscope_test_resources";
  fs::remove_all(assets);
  fs::create_directories(assets / "prompts");
  static const char kText[] = "Paris\tis 4721.\r\n\0\xF0\x9F\x98\x80\n\n";  // TAB, CRLF, NUL, U+1F600, 2 newlines
  const std::string text(kText, sizeof kText - 1);
  std::ofstream(assets / "prompts" / "a_needle.txt", std::ios::binary) << text;
  std::ofstream(assets / "prompts" / "notes.md", std::ios::binary) << "not a prompt";
  const std::vector<ExamplePrompt> examples = load_example_prompts(assets.string());
  REQUIRE(examples.size() == 1);
  CHECK(examples[0].name == "a needle");
  CHECK(examples[0].text == text);
  CHECK(examples[0].text.size() == 23);
  fs::remove_all(assets);
}
