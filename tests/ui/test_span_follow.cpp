// The marked span R through prompt edits (ui/span_follow.h): moved with its text by edits before it, kept by edits
// after it, cleared by edits that touch it or replace the prompt. Test thread.
#include <catch2/catch.hpp>

#include "span_follow.h"

using namespace diffscope::ui;

namespace {
using Span = std::pair<int64_t, int64_t>;
const std::string kPrompt = "The magic number of Paris is 4721. What is it?";
const Span kNumber{29, 33};  // "4721"
}  // namespace

TEST_CASE("the span keeps marking the same text through edits before and after it") {
  REQUIRE(kPrompt.substr(29, 4) == "4721");
  const std::string inserted = "Note: " + kPrompt;
  const auto moved = follow_span(kPrompt, inserted, kNumber);
  REQUIRE(moved);
  CHECK(inserted.substr(static_cast<size_t>(moved->first), 4) == "4721");
  CHECK(follow_span(kPrompt, kPrompt + " Answer:", kNumber) == std::optional<Span>(kNumber));
  CHECK(follow_span(kPrompt, kPrompt.substr(4), kNumber) == std::optional<Span>(Span{25, 29}));  // deleted "The "
  CHECK(follow_span(kPrompt, kPrompt, kNumber) == std::optional<Span>(kNumber));
}

TEST_CASE("the span is cleared when an edit touches it or the prompt is replaced") {
  CHECK_FALSE(follow_span(kPrompt, "The magic number of Paris is 4821. What is it?", kNumber));
  CHECK_FALSE(follow_span(kPrompt, "A completely different prompt about the weather in Rome, one hundred tokens...",
                          kNumber));
  CHECK_FALSE(follow_span(kPrompt, "", kNumber));
  CHECK_FALSE(follow_span(kPrompt, kPrompt, Span{40, 60}));  // not inside the prompt it was marked on
}
