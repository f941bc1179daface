// Bindings and push constants of the GPU mat-vec (matvec_gpu_body.glsl), included before the type file
// (whose load_x reads x4).
#define GPU_MATVEC
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };  // x_stride % 4 == 0, 16-byte aligned
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant) uniform Push {
  uint ncols;       // elements per weight row
  uint nrows;       // rows in this slice
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
  uint nvec;        // vectors in the batch
} p;
