// GLSL program building with readable errors. Main (UI) thread.
#include "gl_shader.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace diffscope::ui {

bool read_text_file(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// The info log of a shader or a program (they have twin query functions).
static std::string info_log(GLuint object, bool is_program) {
  GLint length = 0;
  (is_program ? glGetProgramiv : glGetShaderiv)(object, GL_INFO_LOG_LENGTH, &length);
  std::vector<char> log(static_cast<size_t>(length > 1 ? length : 1), '\0');
  (is_program ? glGetProgramInfoLog : glGetShaderInfoLog)(object, static_cast<GLsizei>(log.size()), nullptr, log.data());
  return log.data();
}

static GLuint compile(GLenum stage, const std::string& source, const std::string& label, std::string* error) {
  GLuint shader = glCreateShader(stage);
  const char* text = source.c_str();
  glShaderSource(shader, 1, &text, nullptr);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (ok != GL_TRUE) {
    *error = label + (stage == GL_VERTEX_SHADER ? " (vertex)" : " (fragment)") + " does not compile: " +
             info_log(shader, false);
    glDeleteShader(shader);
    return 0;
  }
  return shader;
}

GLuint build_program(const std::string& vertex_source, const std::string& fragment_source, const std::string& label,
                     std::string* error) {
  GLuint vs = compile(GL_VERTEX_SHADER, vertex_source, label, error);
  if (vs == 0) return 0;
  GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_source, label, error);
  if (fs == 0) {
    glDeleteShader(vs);
    return 0;
  }
  GLuint program = glCreateProgram();
  glAttachShader(program, vs);
  glAttachShader(program, fs);
  glLinkProgram(program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = GL_FALSE;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (ok != GL_TRUE) {
    *error = label + " does not link: " + info_log(program, true);
    glDeleteProgram(program);
    return 0;
  }
  return program;
}

GLuint build_program_from_files(const std::string& vertex_path, const std::string& fragment_path, std::string* error) {
  std::string vs, fs;
  if (!read_text_file(vertex_path, &vs, error) || !read_text_file(fragment_path, &fs, error)) return 0;
  return build_program(vs, fs, vertex_path + " + " + fragment_path, error);
}

}  // namespace diffscope::ui
