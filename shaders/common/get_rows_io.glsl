// The bindings and push constants of every get_rows kernel (common/get_rows_body.glsl and the CPU devices'
// tiles variants): one workgroup per token, the output at binding 1, the step state at binding 2.
layout(local_size_x = 64) in;
layout(std430, binding = 1) buffer Out { float o[]; };
#define STATE_BINDING 2
#include "common/state.glsl"

layout(push_constant) uniform Push {
  uint ncols;
  uint nrows;       // rows in this slice (rows outside it are skipped: the host validates ids)
  uint by_position; // 1: row = n_past + t
  uint accumulate;  // 1: out += row
  uint out_stride;
  uint first_row;   // matrix row of the slice's first row
} p;
