#include "inference/model/weights.h"

#include <cmath>
#include <stdexcept>

#include "inference/quant/quant.h"

namespace glasswing::model {

namespace {

std::string shape(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Finds tensors and checks them against the shapes the description implies.
class Loader {
 public:
  Loader(const gguf::GgufFile& file, std::deque<std::vector<float>>& converted)
      : file_(file), converted_(converted) {}

  const gguf::TensorInfo* find(const std::string& name, const std::vector<uint64_t>& expected,
                               bool required) {
    const gguf::TensorInfo* t = file_.find_tensor(name);
    if (!t) {
      if (required) throw std::runtime_error("tensor '" + name + "' is missing from the model file");
      return nullptr;
    }
    if (t->dims != expected)
      throw std::runtime_error("tensor '" + name + "' has shape " + shape(t->dims) + ", expected " +
                               shape(expected));
    if (!quant::can_dequantize(t->type))
      throw std::runtime_error("tensor '" + name + "' has type " + gguf::ggml_type_name(t->type) +
                               ", which this engine cannot compute with");
    return t;
  }

  WeightMatrix matrix(const std::string& name, int64_t rows, int64_t cols, bool required = true) {
    const auto* t = find(name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, required);
    if (!t) return {};
    return WeightMatrix{name, t->type, t->data, cols, rows, static_cast<size_t>(t->row_bytes())};
  }

  Vector vector(const std::string& name, int64_t n, bool required = true) {
    const auto* t = find(name, {static_cast<uint64_t>(n)}, required);
    if (!t) return {};
    if (t->type == gguf::GgmlType::F32)
      return {reinterpret_cast<const float*>(t->data), static_cast<size_t>(n)};
    auto& v = converted_.emplace_back(static_cast<size_t>(n));
    quant::dequantize_row(t->type, t->data, v.data(), n);
    return v;
  }

 private:
  const gguf::GgufFile& file_;
  std::deque<std::vector<float>>& converted_;
};

}  // namespace

Weights Weights::from_gguf(const gguf::GgufFile& file, const ModelDescription& d) {
  Weights w;
  Loader load(file, w.converted_);
  const ArchTraits& arch = *d.traits;
  const bool layer_norm = arch.norm == NormKind::Layer;

  w.token_embd = load.matrix("token_embd.weight", d.n_vocab, d.n_embd);
  if (arch.learned_positions) w.position_embd = load.matrix("position_embd.weight", d.n_ctx_train, d.n_embd);

  w.layers.resize(static_cast<size_t>(d.n_layer));
  for (int64_t l = 0; l < d.n_layer; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    L.attn_norm = load.vector(p + "attn_norm.weight", d.n_embd);
    L.attn_norm_b = load.vector(p + "attn_norm.bias", d.n_embd, layer_norm);
    if (arch.fused_qkv) {
      const int64_t n_qkv = d.q_dim() + 2 * d.kv_dim();
      L.wqkv = load.matrix(p + "attn_qkv.weight", n_qkv, d.n_embd);
      L.bqkv = load.vector(p + "attn_qkv.bias", n_qkv, false);
    } else {
      L.wq = load.matrix(p + "attn_q.weight", d.q_dim(), d.n_embd);
      L.wk = load.matrix(p + "attn_k.weight", d.kv_dim(), d.n_embd);
      L.wv = load.matrix(p + "attn_v.weight", d.kv_dim(), d.n_embd);
      L.bq = load.vector(p + "attn_q.bias", d.q_dim(), false);
      L.bk = load.vector(p + "attn_k.bias", d.kv_dim(), false);
      L.bv = load.vector(p + "attn_v.bias", d.kv_dim(), false);
    }
    if (arch.qk_norm) {
      L.q_norm = load.vector(p + "attn_q_norm.weight", d.head_dim);
      L.k_norm = load.vector(p + "attn_k_norm.weight", d.head_dim);
    }
    L.wo = load.matrix(p + "attn_output.weight", d.n_embd, d.q_dim());
    L.bo = load.vector(p + "attn_output.bias", d.n_embd, false);
    L.ffn_norm = load.vector(p + "ffn_norm.weight", d.n_embd);
    L.ffn_norm_b = load.vector(p + "ffn_norm.bias", d.n_embd, layer_norm);
    if (arch.ffn == FfnKind::SwiGlu) L.w_gate = load.matrix(p + "ffn_gate.weight", d.n_ff, d.n_embd);
    L.w_up = load.matrix(p + "ffn_up.weight", d.n_ff, d.n_embd);
    L.b_up = load.vector(p + "ffn_up.bias", d.n_ff, false);
    L.w_down = load.matrix(p + "ffn_down.weight", d.n_embd, d.n_ff);
    L.b_down = load.vector(p + "ffn_down.bias", d.n_embd, false);
  }

  w.output_norm = load.vector("output_norm.weight", d.n_embd);
  w.output_norm_b = load.vector("output_norm.bias", d.n_embd, layer_norm);
  w.output = d.tied_embeddings ? w.token_embd : load.matrix("output.weight", d.n_vocab, d.n_embd);
  w.output_b = load.vector("output.bias", d.n_vocab, false);
  if (arch.rope != RopeKind::None) {
    w.rope_freqs = load.vector("rope_freqs.weight", d.n_rot / 2, false);
    for (float f : w.rope_freqs)
      if (!(f > 0.0f) || !std::isfinite(f))
        throw std::runtime_error("tensor 'rope_freqs.weight' holds " + std::to_string(f) +
                                 ", not a positive frequency divisor");
    if (d.rope_linear_scale != 1.0f) {  // linear scaling: the same divisor for every pair (times rope_freqs)
      auto& v = w.converted_.emplace_back(static_cast<size_t>(d.n_rot / 2), d.rope_linear_scale);
      for (size_t i = 0; i < w.rope_freqs.size(); ++i) v[i] *= w.rope_freqs[i];
      w.rope_freqs = v;
    }
  }
  return w;
}

uint64_t Weights::matrix_bytes() const {
  uint64_t total = 0;
  auto add = [&](const WeightMatrix& m) {
    if (m) total += m.row_bytes * static_cast<uint64_t>(m.n_rows);
  };
  for (const auto& L : layers)
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wqkv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) add(*m);
  add(output);
  return total;
}

}  // namespace glasswing::model
