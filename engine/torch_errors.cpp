// LibTorch's exceptions as the engine's typed errors (torch_errors.h). Any thread.
#include "torch_errors.h"

#include <c10/util/Exception.h>

#include <new>
#include <stdexcept>

#include "errors.h"

namespace diffscope {
namespace {

// The first line of a LibTorch message: the rest is a C++ stack trace or the dispatcher's notes.
std::string first_line(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

const char* kAdvice =
    "Try a shorter prompt, fewer maps (choose layers and heads, or a window of rows and keys), statistics only, or "
    "another device";

}  // namespace

void rethrow_as_engine_error(const std::string& doing) {
  try {
    throw;
  } catch (const EngineError&) {
    throw;
  } catch (const c10::Error& e) {
    const std::string message = first_line(e.what_without_backtrace());
    if (message.find("out of memory") != std::string::npos) {
      throw ResourceError("out of memory while " + doing + ": " + message + ". " + kAdvice + ".");
    }
    throw EngineError("LibTorch failed while " + doing + ": " + message);
  } catch (const std::bad_alloc&) {
    throw ResourceError("out of host memory while " + doing + ". " + kAdvice + ".");
  } catch (const std::exception& e) {
    throw EngineError("the engine failed while " + doing + ": " + first_line(e.what()));
  }
}

}  // namespace diffscope
