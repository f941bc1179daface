// The output binding and push constants every weight product shares (mat-vec and mat-mul, CPU-device and
// GPU kernels): one slice of a weight times a batch of vectors. Twin of WeightProductPush in
// inference/vulkan/ops.cpp (std430 scalars: 4 bytes each, in order). The input binding (x, x4 or both, at
// binding 1) stays with each body, which reads it its own way.
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
  uint ncols;       // elements per weight row
  uint nrows;       // rows in this slice
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
  uint nvec;        // vectors (tokens) in the batch
  uint group_rows;  // row groups (common/row_groups.glsl); 0: none
  uint x_group;     // elements between groups' inputs
  uint y_group;     // elements between groups' outputs
  uint w_rows;      // expert ids (common/row_groups.glsl): the stacked experts' rows; 0: none
  uint expert_ids[8];
} p;
#include "common/row_groups.glsl"
