// The what-if and the head-effect scan through the app (issue 14) on the bundled pair: a scripted what-if (--step
// intervene=, target=) shows the numbers `diffscope-cli run --intervene ... --target-text ...` prints for the same
// prompt; the app's scan, exported through the CLI's writer, is the table `diffscope-cli scan` writes; a saved session
// keeps the interventions and the target, and the app opened on it runs them again. Runs the app headless; needs a
// display: run under xvfb-run (skipped without one). Test thread.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "file_text.h"
#include "gui_app_runner.h"
#include "temp_folder.h"

namespace fs = std::filesystem;
using namespace diffscope::testing;

namespace {

const std::string kModels = std::string(DIFFSCOPE_FIXTURES) + "/../../assets/models";
const std::string kPrompt = "The magic number of Paris is 4721. What is the magic number of Paris? It is";
const std::string kSpec = "L5.H*:only=A2";

struct CliShift {
  std::vector<long long> top_clean, top_changed;  // ids, most likely first
  double kl = 0, logprob_clean = 0, logprob_changed = 0;
  long long rank_clean = 0, rank_changed = 0;
};

// The ids of a "next token, ...:" line ("  788 \" 2\" 0.086  1470 ...").
std::vector<long long> ids_of(const std::string& line) {
  std::vector<long long> ids;
  const size_t colon = line.find(':');
  std::string rest = line.substr(colon + 1);
  size_t at = 0;
  while (at < rest.size()) {
    while (at < rest.size() && rest[at] == ' ') ++at;
    if (at >= rest.size()) break;
    ids.push_back(std::stoll(rest.substr(at)));
    const size_t open = rest.find('"', at), close = rest.find('"', open + 1);
    at = rest.find(' ', close + 2);  // past the probability
    if (at == std::string::npos) break;
  }
  return ids;
}

CliShift cli_shift(const fs::path& out) {
  const fs::path text = out / "cli_run.txt";
  const std::string command = std::string(DIFFSCOPE_CLI) + " run --model " + kModels + "/diff --prompt '" + kPrompt +
                              "' --intervene '" + kSpec + "' --target-text ' 4721' > " + text.string();
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
  CliShift s;
  std::istringstream lines(read_file_text(text));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("next token, clean:", 0) == 0) s.top_clean = ids_of(line);
    if (line.rfind("next token, changed:", 0) == 0) s.top_changed = ids_of(line);
    std::sscanf(line.c_str(), "KL(clean || changed) = %lf", &s.kl);
    std::sscanf(line.c_str(), "target \" 4721\" (4 tokens): log p %lf -> %lf, rank of its first token %lld -> %lld",
                &s.logprob_clean, &s.logprob_changed, &s.rank_clean, &s.rank_changed);
  }
  return s;
}

}  // namespace

TEST_CASE("a scripted what-if in the app shows what diffscope-cli run --intervene prints, and its scan is the CLI's") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_what_if");
  const fs::path& out = folder.path();
  const std::string session = (out / "what_if_session.json").string();
  nlohmann::json state;
  std::string output;
  REQUIRE(run_app(out, "what_if",
                  "--model " + kModels + "/diff --model-b " + kModels + "/standard --prompt '" + kPrompt +
                      "' --export-dir " + out.string() + " --step 'intervene=A:" + kSpec +
                      "' --step 'target= 4721' --step scan=A:lambda0 --step scan-export=csv,json,png "
                      "--step save-session=" + session,
                  &state, &output) == 0);
  INFO(output);
  const nlohmann::json& a = state["what_if"]["A"];
  REQUIRE(a["error"] == "");
  REQUIRE(a["ran"] == nlohmann::json::array({kSpec}));
  CHECK(state["what_if"]["B"]["interventions"].empty());

  const CliShift cli = cli_shift(out);
  REQUIRE(cli.top_clean.size() == 5);
  REQUIRE(cli.top_changed.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(a["top_clean"][i][0] == cli.top_clean[i]);
    CHECK(a["top_changed"][i][0] == cli.top_changed[i]);
  }
  CHECK(a["top_clean"].size() == 10);
  // The CLI prints KL with 6 decimals and log p with 4.
  CHECK(a["kl"].get<double>() == Approx(cli.kl).margin(1e-6));
  CHECK(a["logprob_clean"].get<double>() == Approx(cli.logprob_clean).margin(1e-4));
  CHECK(a["logprob_changed"].get<double>() == Approx(cli.logprob_changed).margin(1e-4));
  CHECK(a["rank_clean"] == cli.rank_clean);
  CHECK(a["rank_changed"] == cli.rank_changed);
  CHECK(cli.kl > 0.1);  // the intervention moved the prediction

  // The app's scan exported through engine/head_scan.h's writer equals the CLI's table row for row (the CSV holds no
  // time).
  const fs::path cli_csv = out / "cli_scan.csv";
  const std::string command = std::string(DIFFSCOPE_CLI) + " scan --model " + kModels + "/diff --prompt '" + kPrompt +
                              "' --target-text ' 4721' --out " + cli_csv.string() + " > /dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  REQUIRE(fs::exists(out / "head_scan_A.csv"));
  CHECK(read_file_text(out / "head_scan_A.csv") == read_file_text(cli_csv));
  CHECK(fs::file_size(out / "head_scan_A.png") > 0);
  CHECK(nlohmann::json::parse(read_file_text(out / "head_scan_A.json"))["heads"].size() == 24);
  REQUIRE(a["scan"].size() == 24);  // 6 layers x 4 Diff heads

  // The session keeps the interventions and the target; the app opened on it runs the same what-if again.
  const nlohmann::json file = nlohmann::json::parse(read_file_text(session));
  CHECK(file["interventions"]["A"] == nlohmann::json::array({kSpec}));
  CHECK(file["target_text"] == " 4721");
  nlohmann::json opened;
  REQUIRE(run_app(out, "opened", "--session " + session, &opened) == 0);
  CHECK(opened["what_if"]["A"]["ran"] == nlohmann::json::array({kSpec}));
  CHECK(opened["what_if"]["A"]["kl"].get<double>() == Approx(a["kl"].get<double>()));
}

TEST_CASE("a what-if the model cannot take says why, and the clean run stays") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_what_if_bad");
  nlohmann::json state;
  // only=A2 acts on Diff heads: slot B's standard model refuses it.
  REQUIRE(run_app(folder.path(), "bad",
                  "--model " + kModels + "/diff --model-b " + kModels + "/standard --prompt 'Paris is' "
                      "--step intervene=B:L0.H1:only=A2",
                  &state) == 0);
  const nlohmann::json& b = state["what_if"]["B"];
  CHECK(b["error"].get<std::string>().find("Diff") != std::string::npos);
  CHECK_FALSE(b.contains("ran"));
  CHECK(state["B"]["result"] == "current");
}

TEST_CASE("span R as the what-if's target scores the span's tokens as diffscope-cli run --target-span does") {
  if (!has_display()) return;
  const TempFolder folder("diffscope_gui_what_if_span");
  const fs::path& out = folder.path();
  // The app's --span and the CLI's --target-span both take the first occurrence of " 4721." (the needle): a target
  // that the rows before it predict, scored where it stands.
  const std::string prompt = "The magic number of Paris is 4721. What is the magic number of Paris? It is 4721.";
  nlohmann::json state;
  std::string output;
  REQUIRE(run_app(out, "span_target",
                  "--model " + kModels + "/diff --model-b " + kModels + "/standard --prompt '" + prompt +
                      "' --span ' 4721.' --step 'intervene=A:" + kSpec + "' --step target-span=on",
                  &state, &output) == 0);
  INFO(output);
  const nlohmann::json& a = state["what_if"]["A"];
  REQUIRE(a["error"] == "");
  CHECK(state["what_if"]["target_span"] == true);

  const fs::path text = out / "cli_span.txt";
  const std::string command = std::string(DIFFSCOPE_CLI) + " run --model " + kModels + "/diff --prompt '" + prompt +
                              "' --intervene '" + kSpec + "' --target-span ' 4721.' > " + text.string();
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
  double clean = 0, changed = 0;
  long long rank_clean = 0, rank_changed = 0, begin = 0, end = 0, count = 0;
  bool parsed = false;
  std::istringstream lines(read_file_text(text));
  std::string line;
  while (std::getline(lines, line)) {
    parsed |= std::sscanf(line.c_str(),
                          "target span \" 4721.\" (tokens %lld:%lld, %lld tokens): log p %lf -> %lf, rank of its first "
                          "token %lld -> %lld",
                          &begin, &end, &count, &clean, &changed, &rank_clean, &rank_changed) == 7;
  }
  INFO(read_file_text(text));
  REQUIRE(parsed);
  CHECK(a["target_ids"].size() == static_cast<size_t>(count));
  CHECK(a["logprob_clean"].get<double>() == Approx(clean).margin(1e-4));
  CHECK(a["logprob_changed"].get<double>() == Approx(changed).margin(1e-4));
  CHECK(a["rank_clean"] == rank_clean);
  CHECK(a["rank_changed"] == rank_changed);
}
