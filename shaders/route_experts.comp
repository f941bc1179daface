#version 450
// A step's expert choice on the device (one workgroup per token): each token's router logits to its k
// chosen experts and their weights, as model::ExpertRouting::route does on the host (llama.cpp's
// build_moe_ffn): probabilities by softmax, sigmoid or the logits themselves; the choice by probability
// plus the selection bias, limited to the best groups where the experts come in groups; the k best, ties
// to the lower id; the weights normalized, scaled, or the chosen logits' softmax. Outputs per token t and
// rank r, at i = t · k + r: ids[i] and weights[i] (times weight_scale; 1 · weight_scale with
// weight_on_input, the weight then going to row_weights[i · row_align], the rows between 0; times the
// expert's output scale where one is given), which the mat-vecs (expert tables), batch_experts.comp,
// add_expert_bias and combine_experts read: the step needs no trip to the host.
layout(local_size_x = 64) in;
const uint WG = 64u;
const uint MAX_EXPERTS = 1024u;  // (route_on_device_supported in ops.cpp)
const uint MAX_K = 32u;

layout(std430, binding = 0) readonly buffer Logits { float logits[]; };    // (n_expert)
layout(std430, binding = 1) readonly buffer Bias { float bias[]; };        // (n_expert) with has_bias
layout(std430, binding = 2) writeonly buffer Ids { uint ids[]; };          // (k)
layout(std430, binding = 3) writeonly buffer Weights { float weights[]; }; // (k)
layout(std430, binding = 4) writeonly buffer RowWeights { float row_weights[]; };  // weight_on_input
layout(std430, binding = 5) readonly buffer OutputScale { float output_scale[]; };  // (n_expert) with has_scale
layout(push_constant, std430) uniform Push {
  uint n_expert;
  uint k;
  uint gating;  // 0 softmax, 1 sigmoid, 2 the logits (the chosen ones' softmax as weights)
  uint normalize;
  float scale;
  uint groups;
  uint groups_used;
  uint has_bias;
  float weight_scale;
  uint weight_on_input;
  uint row_align;
  uint has_scale;  // Gemma 4: each expert's output times its own scale, folded into its weight
} p;

shared float prob[MAX_EXPERTS];
shared float choice[MAX_EXPERTS];  // -inf: excluded by its group
shared uint taken[MAX_EXPERTS / 32u];
shared float red_v[WG];
shared uint red_i[WG];
shared uint picked[MAX_K];
shared float group_score[256];  // (at most 256 groups)
shared uint group_kept[256];

const float NEG_INF = -1.0 / 0.0;
const uint NONE = 0xffffffffu;

float reduce_max(float v) {
  uint t = gl_LocalInvocationID.x;
  red_v[t] = v;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) red_v[t] = max(red_v[t], red_v[t + s]);
    barrier();
  }
  float r = red_v[0];
  barrier();
  return r;
}

float reduce_sum(float v) {
  uint t = gl_LocalInvocationID.x;
  red_v[t] = v;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) red_v[t] += red_v[t + s];
    barrier();
  }
  float r = red_v[0];
  barrier();
  return r;
}

// (value, id) a beats b: b is none, or a's value is larger, or equal with a lower id
bool beats(float av, uint ai, float bv, uint bi) {
  return ai != NONE && (bi == NONE || av > bv || (av == bv && ai < bi));
}

void main() {
  uint t = gl_LocalInvocationID.x;
  uint ne = p.n_expert;
  uint tok = gl_WorkGroupID.x, l0 = tok * ne, o0 = tok * p.k;  // this token's logits and outputs
  float mx = NEG_INF;
  if (p.gating == 0u) {
    for (uint e = t; e < ne; e += WG) mx = max(mx, logits[l0 + e]);
    mx = reduce_max(mx);
  }
  float part = 0.0;
  for (uint e = t; e < ne; e += WG) {
    float l = logits[l0 + e];
    float pr = p.gating == 0u ? exp(l - mx) : (p.gating == 1u ? 1.0 / (1.0 + exp(-l)) : l);
    part += pr;
    prob[e] = pr;
  }
  for (uint w = t; w < MAX_EXPERTS / 32u; w += WG) taken[w] = 0u;
  float inv = 1.0;
  if (p.gating == 0u) inv = 1.0 / reduce_sum(part);
  barrier();
  for (uint e = t; e < ne; e += WG) {
    if (p.gating == 0u) prob[e] *= inv;
    choice[e] = prob[e] + (p.has_bias != 0u ? bias[e] : 0.0);
  }
  barrier();
  if (p.groups > 1u) {  // DeepSeek-V3: a group's score is its two best choices' sum; the best groups stay
    uint per_group = ne / p.groups;
    for (uint gi = t; gi < p.groups; gi += WG) {
      float best = NEG_INF, second = NEG_INF;
      for (uint e = gi * per_group; e < (gi + 1u) * per_group; ++e) {
        float c = choice[e];
        if (c > best) {
          second = best;
          best = c;
        } else if (c > second) {
          second = c;
        }
      }
      group_score[gi] = per_group > 1u ? best + second : best;
    }
    barrier();
    for (uint gi = t; gi < p.groups; gi += WG) {  // its rank, ties to the lower group (a stable sort)
      uint rank = 0u;
      for (uint g = 0u; g < p.groups; ++g)
        rank += uint(group_score[g] > group_score[gi] || (group_score[g] == group_score[gi] && g < gi));
      group_kept[gi] = uint(rank < p.groups_used);
    }
    barrier();
    for (uint e = t; e < ne; e += WG)
      if (group_kept[e / per_group] == 0u) choice[e] = NEG_INF;
    barrier();
  }
  for (uint r = 0u; r < p.k; ++r) {  // the r-th best expert not taken yet
    float bv = NEG_INF;
    uint bi = NONE;
    for (uint e = t; e < ne; e += WG)
      if ((taken[e / 32u] & (1u << (e % 32u))) == 0u && beats(choice[e], e, bv, bi)) {
        bv = choice[e];
        bi = e;
      }
    red_v[t] = bv;
    red_i[t] = bi;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1u) {
      if (t < s && beats(red_v[t + s], red_i[t + s], red_v[t], red_i[t])) {
        red_v[t] = red_v[t + s];
        red_i[t] = red_i[t + s];
      }
      barrier();
    }
    if (t == 0u) {
      picked[r] = red_i[0];
      taken[red_i[0] / 32u] |= 1u << (red_i[0] % 32u);
    }
    barrier();
  }
  if (t != 0u) return;
  float w[MAX_K];
  for (uint r = 0u; r < p.k; ++r) w[r] = prob[picked[r]];
  if (p.gating == 2u) {  // the chosen logits' softmax
    float m = w[0];
    for (uint r = 1u; r < p.k; ++r) m = max(m, w[r]);
    float sum = 0.0;
    for (uint r = 0u; r < p.k; ++r) {
      w[r] = exp(w[r] - m);
      sum += w[r];
    }
    for (uint r = 0u; r < p.k; ++r) w[r] /= sum;
  } else if (p.normalize != 0u) {
    float sum = 0.0;
    for (uint r = 0u; r < p.k; ++r) sum += w[r];
    sum = max(sum, 6.103515625e-5);
    for (uint r = 0u; r < p.k; ++r) w[r] /= sum;
  }
  for (uint r = 0u; r < p.k; ++r) {
    w[r] *= p.scale;
    ids[o0 + r] = picked[r];
    weights[o0 + r] = (p.weight_on_input != 0u ? 1.0 : w[r]) * p.weight_scale *
                      (p.has_scale != 0u ? output_scale[picked[r]] : 1.0);
    if (p.weight_on_input != 0u) {
      row_weights[(o0 + r) * p.row_align] = w[r];
      for (uint i = 1u; i < p.row_align && r + 1u < p.k; ++i) row_weights[(o0 + r) * p.row_align + i] = 0.0;
    }
  }
}
