// Base64 (RFC 4648, standard alphabet, padded) for bytes that a JSON string cannot hold as they are (a prompt that is
// not valid UTF-8, in settings.json). Any thread (pure functions).
#pragma once

#include <optional>
#include <string>

namespace diffscope::ui {

std::string base64_encode(const std::string& bytes);
// The bytes, or nullopt for anything but canonical padded base64 (wrong length, a character outside the alphabet,
// padding in the middle, non-zero bits after the last byte): the input is untrusted (a hand-edited file).
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace diffscope::ui
