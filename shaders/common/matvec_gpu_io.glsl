// Bindings and push constants of the GPU mat-vec (matvec_gpu_body.glsl), included before the type file
// (whose load_x reads x through xin()).
#define GPU_MATVEC
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };  // x_stride % 4 == 0, 16-byte aligned
#define EXPERT_TABLE_BINDING 4  // (common/row_groups.glsl)
#include "common/product_io.glsl"
// NORM (Recorder InlineNorm): the mat-vec reads the residual stream and applies the RMSNorm before it
// itself, y = (W . (x * gain)) / sqrt(mean(x^2) + eps): each lane sums the squares of the x it reads (the
// subgroup reads all of x once per pass) and multiplies x by the gain as it reads it. That is the RMSNorm
// dispatch, its barrier and the normalized copy of x saved per layer and norm. Without NORM binding 3 is x
// again, unused.
layout(std430, binding = 3) readonly buffer NormGain { vec4 g4[]; };
layout(constant_id = 4) const uint NORM = 0;
layout(constant_id = 5) const float NORM_EPS = 1e-5;
uint x_base4 = 0u;       // this vector's first texel in x4 (its gain index is relative to it)
float x_squares = 0.0;   // NORM: this lane's sum of squares of the x it read in this pass
vec4 xin(uint i) {
  vec4 v = x4[i];
  if (NORM != 0u) {
    x_squares += dot(v, v);
    v *= g4[i - x_base4];
  }
  return v;
}
