// Fuzz harness: session files (ui/session.h), which users send each other and edit by hand. Any input must give a
// session or a refusal message, never a crash; and a session that was accepted, written back, must be accepted again
// as the same session (a saved session always opens). libFuzzer's thread.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  diffscope::ui::Session session;
  std::string error;
  if (!diffscope::ui::session_from_json(text, &session, &error)) {
    if (error.empty()) std::abort();  // every refusal says why
    return 0;
  }
  const std::string written = diffscope::ui::session_to_json(session);
  diffscope::ui::Session back;
  if (!diffscope::ui::session_from_json(written, &back, &error)) std::abort();
  if (diffscope::ui::session_to_json(back) != written) std::abort();  // the same session, field for field
  return 0;
}
