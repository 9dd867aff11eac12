// Reading whole text files for the CLI commands. Main thread.
#include "cli_files.h"

#include <fstream>
#include <sstream>

#include "errors.h"

namespace diffscope {

std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot open " + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw FileError("cannot read " + what + " " + path);
  return text.str();
}

}  // namespace diffscope
