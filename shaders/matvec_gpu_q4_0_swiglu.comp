#version 450
#extension GL_GOOGLE_include_directive : require
// matvec_gpu_q4_0 over gate|up row pairs (row 2r gate r, 2r + 1 up r) with SwiGLU applied to each pair.
#define SWIGLU
#include "common/weights.glsl"
#include "common/matvec_gpu_io.glsl"
#include "common/type_gpu_q4_0.glsl"
#include "common/matvec_gpu_body.glsl"
