// The output binding and push constants every weight product shares (mat-vec and mat-mul, CPU-device and
// GPU kernels): one slice of a weight times a batch of vectors (common/product_push.glsl). The input binding
// (x, x4 or both, at binding 1) stays with each body, which reads it its own way.
layout(std430, binding = 2) buffer Y { float y[]; };

layout(push_constant, std430) uniform Push {
#include "common/product_push.glsl"
} p;
#include "common/row_groups.glsl"
