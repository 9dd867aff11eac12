// Fuzz harness: the app's settings.json (ui/settings.h), which a user may edit by hand or a crash may have cut short.
// Any input must give settings or an error message, never a crash. libFuzzer's thread.
#include <cstddef>
#include <cstdint>
#include <string>

#include "settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  diffscope::ui::Settings settings;
  std::string error;
  if (diffscope::ui::settings_from_json(text, &settings, &error)) {
    (void)diffscope::ui::settings_to_json(settings);  // what was read can be written back
  }
  return 0;
}
