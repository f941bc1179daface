#version 450
#extension GL_GOOGLE_include_directive : require
// y[g * stride + i] += b[ids[g] * n + i] for each group g: a decode step's picked experts (one row each,
// stride floats apart) each add their own bias row of a stacked bias table (gpt-oss) in one dispatch. The
// ids come from the push constants, or with ids_on_device from the table a routing kernel wrote
// (route_experts.comp; an id past the table reads its last row). With tiles (a prompt's expert tiles, ops.h
// ExpertTiles): group g is tile g, whose up to 64 rows from its first row each add its expert's bias.
#include "common/elementwise.glsl"
layout(std430, binding = 0) readonly buffer B { float b[]; };  // (n_expert, n)
layout(std430, binding = 1) buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer Table { uint table[]; };
layout(push_constant, std430) uniform Push {
  uint n;
  uint stride;
  uint groups;
  uint ids[8];
  uint ids_on_device;
  uint n_experts;  // rows of b
  uint tiles;
} p;
const uint TILE_ROWS = 64u;  // (kExpertTileVectors)
void main() {
  uint i = flat_index();
  if (p.tiles != 0u) {
    if (i >= p.n * TILE_ROWS * p.groups) return;
    uint c = i % p.n, v = (i / p.n) % TILE_ROWS, g = i / (p.n * TILE_ROWS);
    if (v >= table[3u * g + 2u]) return;
    uint e = min(table[3u * g], p.n_experts - 1u);
    y[(table[3u * g + 1u] + v) * p.stride + c] += b[e * p.n + c];
    return;
  }
  if (i >= p.n * p.groups) return;
  uint g = i / p.n, c = i % p.n;
  uint e = p.ids_on_device != 0u ? min(table[g], p.n_experts - 1u) : p.ids[g];
  y[g * p.stride + c] += b[e * p.n + c];
}
