// Workgroup-wide sum and max: a subgroup reduction, then one pass over the per-subgroup results in
// shared memory. Every invocation gets the result. Needs layout(local_size_x_id = 0) and WG.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
shared float reduce_scratch[WG];

float workgroup_sum(float v) {
  v = subgroupAdd(v);
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = v;
  barrier();
  float s = 0.0;
  for (uint i = 0u; i < gl_NumSubgroups; ++i) s += reduce_scratch[i];
  barrier();  // scratch is reused by the next call
  return s;
}

float workgroup_max(float v) {
  v = subgroupMax(v);
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = v;
  barrier();
  float m = reduce_scratch[0];
  for (uint i = 1u; i < gl_NumSubgroups; ++i) m = max(m, reduce_scratch[i]);
  barrier();
  return m;
}
