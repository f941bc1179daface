// The RoPE angle of pair i at position pos, theta_i = pos * base^(-2i/n_rot): one definition for
// rope_store.comp (prompt steps) and attention_lanes.glsl (one-token steps), so that both rotate alike.
float rope_theta(float pos, uint i, uint n_rot, float base) {
  return pos * pow(base, -2.0 * float(i) / float(n_rot));
}
