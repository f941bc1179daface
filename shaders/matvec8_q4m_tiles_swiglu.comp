#version 450
#extension GL_GOOGLE_include_directive : require
// matvec8_q4m_tiles over gate|up rows with SwiGLU applied to each output pair (CPU devices).
#define NV 8u
#define MR 16u
#define GATE_UP
#define TILES_Q4_MIN
#include "common/matvec_tiles.glsl"
