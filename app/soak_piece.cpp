// Soak prompts (soak_piece.h). Any thread.
#include "soak_piece.h"

#include <algorithm>

namespace diffscope {

std::string soak_piece(const std::string& text, int run, int max_bytes) {
  const size_t limit = std::min<size_t>(text.size(), static_cast<size_t>(max_bytes));
  const size_t length = 10 + (static_cast<size_t>(run) * 7919u) % (limit - 9);
  const size_t offset = (static_cast<size_t>(run) * 104729u) % (text.size() - length + 1);
  return text.substr(offset, length);
}

}  // namespace diffscope
