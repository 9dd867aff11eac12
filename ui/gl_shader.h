// Compiles and links a GLSL program from files, reporting errors as text (never throws). Main (UI) thread, with a
// current GL context.
#pragma once

#include <string>

#include "gl_api.h"

namespace diffscope::ui {

// Reads a whole text file; false with *error when it cannot.
bool read_text_file(const std::string& path, std::string* out, std::string* error);

// Compiles `vertex_source` and `fragment_source` and links them. Returns the program (0 on failure, with the
// compiler's log and `label` in *error).
GLuint build_program(const std::string& vertex_source, const std::string& fragment_source, const std::string& label,
                     std::string* error);

// build_program from two files.
GLuint build_program_from_files(const std::string& vertex_path, const std::string& fragment_path, std::string* error);

}  // namespace diffscope::ui
