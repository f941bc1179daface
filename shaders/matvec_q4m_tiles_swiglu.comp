#version 450
#extension GL_GOOGLE_include_directive : require
// matvec_q4m_tiles over gate|up rows with SwiGLU applied to each output pair (CPU devices).
#define NV 1u
#define MR 8u
#define GATE_UP
#define TILES_Q4_MIN
#include "common/matvec_tiles.glsl"
