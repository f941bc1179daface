// The push constants of a weight product (one slice of a weight times a batch of vectors), included inside
// a push_constant block (std430: 4-byte scalars, in order): product_io.glsl's, and matvec_tiles.glsl's with
// the deferred norm's fields after them. Twin of WeightProductPush in inference/vulkan/ops.cpp.
  uint ncols;       // elements per weight row
  uint nrows;       // output rows (this slice's; with expert ids, their groups')
  uint row_base;    // first output index of this slice
  uint x_stride;    // elements between input vectors
  uint y_stride;    // elements between output vectors
  uint accumulate;  // 1: y += W.x (fused residual add)
  uint nvec;        // vectors (tokens) in the batch
  uint group_rows;  // row groups (common/row_groups.glsl); 0: none
  uint x_group;     // elements between groups' inputs (a multiple of 4)
  uint y_group;     // elements between groups' outputs
  uint w_rows;      // expert ids (common/row_groups.glsl): the stacked experts' rows; 0: none
  uint expert_ids[8];
  uint ids_on_device;  // 1: group g's expert is expert_table[g] (row_groups.glsl), not expert_ids[g]
  uint expert_tiles;   // the tiled GEMM: 1: token tiles of experts from expert_table (matmul_tiled_body.glsl)
