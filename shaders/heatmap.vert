// heatmap.vert: one quad covering the viewport (no vertex buffer: corners from gl_VertexID). uv (0,0) is the top left,
// so rows grow downwards like the map's query index. Used by ui/heatmap_renderer.cpp.
#version 330 core

out vec2 v_uv;

void main() {
  // Triangle strip: (-1,-1) (1,-1) (-1,1) (1,1)
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  v_uv = vec2(corner.x, 1.0 - corner.y);
  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
