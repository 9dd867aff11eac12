// One hidden OpenGL 3.3 core context (a GLFW window) for a GL test program; run the tests under xvfb-run -a. Test
// thread = the GL thread.
#pragma once

#include <GLFW/glfw3.h>

struct GlContext {
  GLFWwindow* window = nullptr;  // null when no context could be made (no display)
  GlContext() {
    if (!glfwInit()) return;
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window = glfwCreateWindow(64, 64, "test", nullptr, nullptr);
    if (window) glfwMakeContextCurrent(window);
  }
  ~GlContext() {
    if (window) glfwDestroyWindow(window);
    glfwTerminate();
  }
  GlContext(const GlContext&) = delete;
  GlContext& operator=(const GlContext&) = delete;
};
