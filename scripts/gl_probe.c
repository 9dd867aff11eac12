/* Opens a window with an OpenGL 3.3 core context through GLFW, as the app does, and prints the GL strings: a check of
   the GPU machine's Xvfb + GLX that takes a second, before the app's build (scripts/gpu-app-check.sh). */
#include <GLFW/glfw3.h>
#include <stdio.h>

static void on_error(int code, const char* text) { fprintf(stderr, "gl_probe: GLFW error 0x%x: %s\n", code, text); }

int main(void) {
  glfwSetErrorCallback(on_error);
  if (!glfwInit()) return 1;
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(320, 240, "gl_probe", NULL, NULL);
  if (!window) {
    glfwTerminate();
    return 2;
  }
  glfwMakeContextCurrent(window);
  printf("gl_probe: GL_VERSION  %s\n", (const char*)glGetString(GL_VERSION));
  printf("gl_probe: GL_RENDERER %s\n", (const char*)glGetString(GL_RENDERER));
  printf("gl_probe: GL_VENDOR   %s\n", (const char*)glGetString(GL_VENDOR));
  glClearColor(0.2f, 0.4f, 0.6f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  unsigned char pixel[4] = {0, 0, 0, 0};
  glReadPixels(10, 10, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, pixel);
  glfwSwapBuffers(window);
  printf("gl_probe: cleared to (51, 102, 153), read back (%d, %d, %d), GL error 0x%x\n", pixel[0], pixel[1], pixel[2],
         glGetError());
  glfwDestroyWindow(window);
  glfwTerminate();
  return pixel[2] > 140 && pixel[2] < 165 ? 0 : 3;
}
