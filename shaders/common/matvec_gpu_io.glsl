// Bindings and push constants of the GPU mat-vec (matvec_gpu_body.glsl), included before the type file
// (whose load_x reads x4).
#define GPU_MATVEC
layout(std430, binding = 1) readonly buffer X4 { vec4 x4[]; };  // x_stride % 4 == 0, 16-byte aligned
#include "common/product_io.glsl"
