// The OpenGL 3.3 core entry points, declared by Mesa's headers and resolved by libGL at link time (no loader needed on
// Linux). GL is called from the main (UI) thread only, with the window's context current.
#pragma once

#ifndef GL_GLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES
#endif
#include <GL/gl.h>
#include <GL/glext.h>
