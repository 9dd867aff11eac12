// Display options panel. Main (UI) thread.
#include "display_panel.h"

#include <imgui.h>

#include "item_tooltip.h"

namespace diffscope::ui {

static void colormap_combo(const char* label, Colormap* value) {
  const char* names[] = {"viridis", "magma", "RdBu (diverging)"};
  int index = static_cast<int>(*value);
  if (ImGui::Combo(label, &index, names, 3)) *value = static_cast<Colormap>(index);
}

void draw_display_panel(DisplaySettings& d) {
  ImGui::PushItemWidth(ImGui::GetContentRegionAvail().x * 0.55f);
  colormap_combo("softmax maps", &d.sequential);
  item_tooltip("Colormap of A1, lambda*A2, A2 and the standard map (values >= 0).");
  colormap_combo("signed maps (D)", &d.diverging);
  item_tooltip("Colormap of D = A1 - lambda*A2, which is signed: centred on 0 (white in RdBu), red positive, blue "
               "negative.");
  int mode = static_cast<int>(d.mode);
  ImGui::RadioButton("linear", &mode, 0);
  ImGui::SameLine();
  ImGui::RadioButton("log", &mode, 1);
  item_tooltip("log10 of the value between the floor and the maximum: small weights become visible.");
  ImGui::SameLine();
  ImGui::RadioButton("gamma", &mode, 2);
  item_tooltip("value^gamma on the linear scale: gamma < 1 brightens small weights.");
  d.mode = static_cast<ColorScale::Mode>(mode);
  if (d.mode == ColorScale::Mode::Gamma) ImGui::SliderFloat("gamma", &d.gamma, 0.1f, 2.0f, "%.2f");
  if (d.mode == ColorScale::Mode::Log) {
    ImGui::SliderFloat("log floor", &d.log_floor, 1e-6f, 1e-1f, "%.0e", ImGuiSliderFlags_Logarithmic);
  }
  ImGui::PopItemWidth();
  ImGui::Checkbox("hide first-token sink from the scale", &d.hide_sink);
  item_tooltip("The first token often takes most attention (the 'attention sink') and washes out the colour scale. "
               "Checked: key 0 is left out when fitting the scale (it is still drawn, clipped to the top colour).");
  ImGui::Checkbox("normalize each row", &d.row_normalize);
  item_tooltip("Each query row divided by its largest |value|: where each token looks, however sharp or flat its "
               "attention.");
  ImGui::Checkbox("A1 and lambda*A2 on one scale", &d.shared_softmax_scale);
  item_tooltip("Decomposition: one colour range for both softmax maps, so D = A1 - lambda*A2 can be read off them.");
  ImGui::Checkbox("shade masked (future) triangle", &d.shade_masked);
  ImGui::SameLine();
  ImGui::Checkbox("cell borders", &d.grid_lines);
}

}  // namespace diffscope::ui
