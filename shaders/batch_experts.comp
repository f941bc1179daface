#version 450
// A prompt's tokens into batch rows per expert on the device (one workgroup), from route_experts.comp's
// choice, as VulkanBackend::route_experts does on the host but without padding: expert e's rows are
// [begin(e), begin(e) + count(e)) in expert order, its pairs (t, r) in token order within them; per row its
// token (rows) and, with weight_on_input, its weight (row_weights); per pair its row (slots); and the expert
// tiles of at most 64 rows (ops.h ExpertTiles) for the tiled GEMM, the entries past the last tile empty.
// Each invocation counts, then places, its experts' pairs by scanning every pair's id (the same address
// across the workgroup at a time).
layout(local_size_x = 256) in;
const uint WG = 256u;
const uint MAX_EXPERTS = 1024u;  // (route_on_device_supported)
const uint TILE_ROWS = 64u;      // (kExpertTileVectors)

layout(std430, binding = 0) readonly buffer Ids { uint ids[]; };                   // (n_pairs)
layout(std430, binding = 1) readonly buffer PairWeights { float pair_weights[]; };  // (n_pairs) on input
layout(std430, binding = 2) writeonly buffer Rows { uint rows[]; };                 // (n_pairs)
layout(std430, binding = 3) writeonly buffer Slots { uint slots[]; };               // (n_pairs)
layout(std430, binding = 4) writeonly buffer RowWeights { float row_weights[]; };   // (n_pairs) on input
layout(std430, binding = 5) writeonly buffer Tiles { uint tiles[]; };               // (max_tiles, 3)
layout(push_constant, std430) uniform Push {
  uint n_pairs;
  uint k;
  uint n_expert;
  uint max_tiles;
  uint weight_on_input;
} p;

shared uint count[MAX_EXPERTS];
shared uint begin[MAX_EXPERTS];

uint expert_of(uint i) { return min(ids[i], p.n_expert - 1u); }

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint e = t; e < p.n_expert; e += WG) {
    uint c = 0u;
    for (uint i = 0u; i < p.n_pairs; ++i) c += uint(expert_of(i) == e);
    count[e] = c;
  }
  barrier();
  if (t == 0u) {
    uint next = 0u, tile = 0u;
    for (uint e = 0u; e < p.n_expert; ++e) {
      begin[e] = next;
      for (uint s = 0u; s < count[e] && tile < p.max_tiles; s += TILE_ROWS, ++tile) {
        tiles[3u * tile] = e;
        tiles[3u * tile + 1u] = next + s;
        tiles[3u * tile + 2u] = min(TILE_ROWS, count[e] - s);
      }
      next += count[e];
    }
    for (; tile < p.max_tiles; ++tile) {  // (empty tiles: their workgroups return at once)
      tiles[3u * tile] = 0u;
      tiles[3u * tile + 1u] = 0u;
      tiles[3u * tile + 2u] = 0u;
    }
  }
  barrier();
  for (uint e = t; e < p.n_expert; e += WG) {
    uint row = begin[e];
    for (uint i = 0u; i < p.n_pairs; ++i) {
      if (expert_of(i) != e) continue;
      rows[row] = i / p.k;
      slots[i] = row;
      if (p.weight_on_input != 0u) row_weights[row] = pair_weights[i];
      ++row;
    }
  }
}
