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

// ggml's view of a shape: trailing dimensions of 1 do not count (a 1-D [n] and a 2-D [n, 1] are the same
// tensor; llama.cpp's converter writes Mamba-2's one-group norm as [d_inner, 1], other writers as [d_inner]).
bool same_shape(std::vector<uint64_t> a, std::vector<uint64_t> b) {
  while (a.size() > 1 && a.back() == 1) a.pop_back();
  while (b.size() > 1 && b.back() == 1) b.pop_back();
  return a == b;
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
    if (!same_shape(t->dims, expected))
      throw std::runtime_error("tensor '" + name + "' has shape " + shape(t->dims) + ", expected " +
                               shape(expected));
    if (!quant::can_dequantize(t->type))
      throw std::runtime_error("tensor '" + name + "' has type " + gguf::ggml_type_name(t->type) +
                               ", which this engine cannot compute with");
    return t;
  }

  // A 3-D tensor of `n` matrices of (rows, cols) (each expert's, or each head's), as views of its slices,
  // named "<what> i".
  std::vector<WeightMatrix> slices(const std::string& name, int64_t rows, int64_t cols, int64_t n,
                                   const std::string& what) {
    const auto* t = find(
        name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows), static_cast<uint64_t>(n)}, true);
    const auto row_bytes = static_cast<size_t>(t->row_bytes());
    std::vector<WeightMatrix> out;
    for (int64_t i = 0; i < n; ++i) {
      out.push_back(WeightMatrix{name + " (" + what + " " + std::to_string(i) + ")", t->type,
                                 t->data + static_cast<size_t>(i * rows) * row_bytes, cols, rows, row_bytes});
    }
    return out;
  }

  // Rows [first, first + count) of m transposed (count columns of m.n_cols rows), dequantized into F32
  // storage owned by the weights (dequantization is exact: the same numbers, laid out the other way).
  WeightMatrix transposed_rows(const WeightMatrix& m, int64_t first, int64_t count, const std::string& what) {
    auto& t = converted_.emplace_back(static_cast<size_t>(m.n_cols * count));
    std::vector<float> row(static_cast<size_t>(m.n_cols));
    for (int64_t r = 0; r < count; ++r) {
      quant::dequantize_row(m.type, m.row(first + r), row.data(), m.n_cols);
      for (int64_t c = 0; c < m.n_cols; ++c)
        t[static_cast<size_t>(c * count + r)] = row[static_cast<size_t>(c)];
    }
    return WeightMatrix{m.name + " (" + what + ", transposed)",
                        gguf::GgmlType::F32,
                        reinterpret_cast<const uint8_t*>(t.data()),
                        count,
                        m.n_cols,
                        static_cast<size_t>(count) * sizeof(float)};
  }

  // n gains of 1, owned by the weights: the norms of olmo, which have no parameters (a LayerNorm then
  // multiplies by exactly 1, so every backend runs them unchanged)
  Vector ones(int64_t n) {
    const auto& v = converted_.emplace_back(static_cast<size_t>(n), 1.0f);
    return Vector(v.data(), v.size());
  }

  // A 1-D tensor of `cols` as a matrix of one row (a dot product with each token's x).
  WeightMatrix row_matrix(const std::string& name, int64_t cols) {
    const auto* t = find(name, {static_cast<uint64_t>(cols)}, true);
    return WeightMatrix{name, t->type, t->data, cols, 1, static_cast<size_t>(t->row_bytes())};
  }

  WeightMatrix matrix(const std::string& name, int64_t rows, int64_t cols, bool required = true) {
    const auto* t = find(name, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)}, required);
    if (!t) return {};
    return WeightMatrix{name, t->type, t->data, cols, rows, static_cast<size_t>(t->row_bytes())};
  }

  Vector vector(const std::string& name, int64_t n, bool required = true) {
    const auto* t = find(name, {static_cast<uint64_t>(n)}, required);
    return t ? floats(*t, n, 1) : Vector{};
  }

  // A 2-D tensor of `n` rows of `len` floats, as one span.
  Vector table(const std::string& name, int64_t len, int64_t n, bool required = true) {
    const auto* t = find(name, {static_cast<uint64_t>(len), static_cast<uint64_t>(n)}, required);
    return t ? floats(*t, len, n) : Vector{};
  }

  // A 2-D tensor of `n` vectors of `len` (per-expert biases), as views of its rows.
  std::vector<Vector> vectors(const std::string& name, int64_t len, int64_t n, bool required) {
    const auto* t = find(name, {static_cast<uint64_t>(len), static_cast<uint64_t>(n)}, required);
    if (!t) return {};
    const Vector all = floats(*t, len, n);
    std::vector<Vector> out;
    for (int64_t r = 0; r < n; ++r)
      out.push_back(all.subspan(static_cast<size_t>(r * len), static_cast<size_t>(len)));
    return out;
  }

  bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

  // Several convolutions' taps (tensors of `taps` per channel, each [taps, channels] or, as llama.cpp's
  // kimi-linear converter writes them, [taps, 1, channels]) as one table of their channels in order, owned
  // here.
  Vector conv_tables(const std::vector<std::string>& names, int64_t taps, int64_t channels) {
    auto& all = converted_.emplace_back();
    for (const std::string& name : names) {
      const gguf::TensorInfo* t = file_.find_tensor(name);
      const auto tp = static_cast<uint64_t>(taps), ch = static_cast<uint64_t>(channels);
      if (t && same_shape(t->dims, {tp, 1, ch}))
        t = find(name, {tp, 1, ch}, true);
      else
        t = find(name, {tp, ch}, true);
      const Vector v = floats(*t, taps, channels);
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  }

 private:
  // The `rows` rows of `len` floats in t: the file's own bytes for F32, else dequantized into converted_.
  Vector floats(const gguf::TensorInfo& t, int64_t len, int64_t rows) {
    if (t.type == gguf::GgmlType::F32)
      return {reinterpret_cast<const float*>(t.data), static_cast<size_t>(len * rows)};
    auto& v = converted_.emplace_back(static_cast<size_t>(len * rows));
    for (int64_t r = 0; r < rows; ++r)
      quant::dequantize_row(t.type, t.data + static_cast<size_t>(r) * t.row_bytes(), v.data() + r * len, len);
    return v;
  }

  const gguf::GgufFile& file_;
  std::deque<std::vector<float>>& converted_;
};

// Rows [first, first + count) of m, as a matrix of its own (rows are independent in every type).
WeightMatrix rows_of(const WeightMatrix& m, int64_t first, int64_t count, const std::string& what) {
  WeightMatrix v = m;
  v.name = m.name + " (" + what + ")";
  v.data = m.data + static_cast<size_t>(first) * m.row_bytes;
  v.n_rows = count;
  return v;
}

// Multi-head latent attention's projections (LayerWeights), k_b and v_b as one matrix per head.
void load_mla(Loader& load, const std::string& p, const ModelDescription& d, LayerWeights& L) {
  const ModelDescription::Mla& m = d.mla;
  const int64_t q_rows = d.n_head * (m.nope + d.n_rot);
  if (m.q_rank > 0) {
    L.wq_a = load.matrix(p + "attn_q_a.weight", m.q_rank, d.n_embd);
    L.q_a_norm = load.vector(p + "attn_q_a_norm.weight", m.q_rank);
    L.wq_b = load.matrix(p + "attn_q_b.weight", q_rows, m.q_rank);
  } else {
    L.wq = load.matrix(p + "attn_q.weight", q_rows, d.n_embd);
  }
  L.wkv_a = load.matrix(p + "attn_kv_a_mqa.weight", m.kv_rank + d.n_rot, d.n_embd);
  L.kv_a_norm = load.vector(p + "attn_kv_a_norm.weight", m.kv_rank);
  if (m.whole_kv_b) {
    // MiniCPM3: head h's k rows (nope of kv_rank, K_h: k_nope = K_h·latent) then its v rows (v_head) in one
    // attn_kv_b. q_nope·K_h·latent = (K_hᵀ·q_nope)·latent: k_b is K_h transposed (llama.cpp's converter
    // writes DeepSeek's attn_k_b so), v_b the v rows as they are.
    const WeightMatrix kv_b = load.matrix(p + "attn_kv_b.weight", d.n_head * (m.nope + m.v_head), m.kv_rank);
    for (int64_t h = 0; h < d.n_head; ++h) {
      const int64_t at = h * (m.nope + m.v_head);
      L.k_b.push_back(load.transposed_rows(kv_b, at, m.nope, "head " + std::to_string(h) + " k rows"));
      L.v_b.push_back(rows_of(kv_b, at + m.nope, m.v_head, "head " + std::to_string(h) + " v rows"));
    }
    return;
  }
  L.k_b = load.slices(p + "attn_k_b.weight", m.kv_rank, m.nope, d.n_head, "head");
  L.v_b = load.slices(p + "attn_v_b.weight", m.v_head, m.kv_rank, d.n_head, "head");
}

// A Mamba-2 mixer's tensors (LayerWeights' mb_*): its grouped norm required but where it runs beside
// attention (Falcon-H1, whose files may have none: llama.cpp then gates y by SiLU(z) without a norm).
void load_mamba2(Loader& load, const std::string& p, const ModelDescription& d, LayerWeights& L) {
  const ModelDescription::Mamba2& m = d.mamba;
  L.mb_in = load.matrix(p + "ssm_in.weight", m.in_dim(), d.n_embd);
  L.mb_conv = load.table(p + "ssm_conv1d.weight", m.conv_kernel, m.conv_dim());
  L.mb_conv_b = load.vector(p + "ssm_conv1d.bias", m.conv_dim(), false);
  L.mb_dt_bias = load.vector(p + "ssm_dt.bias", m.n_head);
  L.mb_a = load.table(p + "ssm_a", 1, m.n_head);
  L.mb_d = load.table(p + "ssm_d", 1, m.n_head);
  L.mb_norm = load.table(p + "ssm_norm.weight", m.d_inner / m.n_group, m.n_group, !d.traits->parallel_hybrid);
  L.mb_out = load.matrix(p + "ssm_out.weight", d.n_embd, m.d_inner);
}

// A Mamba-1 mixer's tensors (as llama.cpp's mamba loads them): in_proj to x|z, the convolution with its
// bias, x_proj, dt_proj with its bias, A as a row of d_state per channel (-exp(A_log), as the converter
// writes it), D per channel, out_proj.
void load_mamba1(Loader& load, const std::string& p, const ModelDescription& d, LayerWeights& L) {
  const ModelDescription::Mamba2& m = d.mamba;
  L.mb_in = load.matrix(p + "ssm_in.weight", m.in_dim(), d.n_embd);
  L.mb_conv = load.table(p + "ssm_conv1d.weight", m.conv_kernel, m.d_inner);
  L.mb_conv_b = load.vector(p + "ssm_conv1d.bias", m.d_inner);
  L.mb_x = load.matrix(p + "ssm_x.weight", m.x_proj_dim(), m.d_inner);
  L.mb_dt = load.matrix(p + "ssm_dt.weight", m.d_inner, m.dt_rank);
  L.mb_dt_bias = load.vector(p + "ssm_dt.bias", m.d_inner);
  L.mb_a = load.table(p + "ssm_a", m.d_state, m.d_inner);
  L.mb_d = load.vector(p + "ssm_d", m.d_inner);
  L.mb_out = load.matrix(p + "ssm_out.weight", d.n_embd, m.d_inner);
  if (m.dt_b_c_gains) {  // (Jamba: dt, B and C normalized with gains of their own)
    L.mb_dt_norm = load.vector(p + "ssm_dt_norm.weight", m.dt_rank);
    L.mb_b_norm = load.vector(p + "ssm_b_norm.weight", m.d_state);
    L.mb_c_norm = load.vector(p + "ssm_c_norm.weight", m.d_state);
  }
}

}  // namespace

Weights Weights::from_gguf(const gguf::GgufFile& file, const ModelDescription& d) {
  Weights w;
  Loader load(file, w.converted_);
  const ArchTraits& arch = *d.traits;
  // (their biases required: LayerNorms', and phimoe's RMSNorms with biases)
  const bool layer_norm = (arch.norm == NormKind::Layer && arch.layer_norm_bias) || arch.rms_norm_bias;
  // gpt2 and starcoder (the families with learned positions) have every projection biased: llama.cpp's
  // loader requires them, so a file without one is broken, not a variant, and is refused naming the tensor
  // (bloom's too)
  const bool biases = arch.learned_positions || arch.embd_norm;

  w.token_embd = load.matrix("token_embd.weight", d.n_vocab, d.n_embd);
  // (olmo: one vector of ones for all its norms, which the file does not have)
  const Vector unit_gains = arch.nonparametric_norms ? load.ones(d.n_embd) : Vector{};
  if (arch.learned_positions) w.position_embd = load.matrix("position_embd.weight", d.n_ctx_train, d.n_embd);
  if (arch.alibi && load.has("position_embd.weight"))  // (MPT without ALiBi: learned positions instead)
    throw std::runtime_error("tensor 'position_embd.weight': " + d.architecture +
                             " with learned positions instead of ALiBi is not supported");
  if (arch.embd_norm) {
    w.token_embd_norm = load.vector("token_embd_norm.weight", d.n_embd);
    w.token_embd_norm_b = load.vector("token_embd_norm.bias", d.n_embd);
  }

  w.layers.resize(static_cast<size_t>(d.n_layer));
  for (int64_t l = 0; l < d.n_layer; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    // (deci's layers without attention have no norm before it; Nemotron-H's FFN layers use theirs)
    const bool attn_norm = d.mixer(l) != ModelDescription::Mixer::None || arch.single_sublayer;
    if (arch.nonparametric_norms)
      L.attn_norm = unit_gains;
    else if (!arch.no_pre_norms && attn_norm)
      L.attn_norm = load.vector(p + "attn_norm.weight", d.n_embd);
    L.attn_norm_b = load.vector(p + "attn_norm.bias", d.n_embd, layer_norm);
    if (arch.attn_norm_2 && load.has(p + "attn_norm_2.weight")) {
      // Falcon-40B's two norms: attn_norm (ln_mlp) feeds the parallel FFN, attn_norm_2 (ln_attn) attention;
      // both backends then run it as GPT-NeoX's block from two norms
      L.ffn_norm = L.attn_norm;
      L.ffn_norm_b = L.attn_norm_b;
      L.attn_norm = load.vector(p + "attn_norm_2.weight", d.n_embd);
      L.attn_norm_b = load.vector(p + "attn_norm_2.bias", d.n_embd, layer_norm);
    }
    // (Falcon-H1: Mamba-2 beside attention, whose tensors the attention branches below load)
    if (d.mixer(l) == ModelDescription::Mixer::Mamba2Attention) load_mamba2(load, p, d, L);
    if (d.mixer(l) == ModelDescription::Mixer::Mamba2) {  // a Mamba-2 layer (Granite 4.0-H)
      load_mamba2(load, p, d, L);
    } else if (d.mixer(l) == ModelDescription::Mixer::Mamba1) {  // a Mamba-1 layer (mamba)
      load_mamba1(load, p, d, L);
    } else if (d.mixer(l) == ModelDescription::Mixer::DeltaNet && d.delta.kda) {  // Kimi Delta Attention
      const ModelDescription::DeltaNet& n = d.delta;
      const int64_t inner = n.key_dim(), hd = n.head_k_dim;
      L.wq = load.matrix(p + "attn_q.weight", inner, d.n_embd);
      L.wk = load.matrix(p + "attn_k.weight", inner, d.n_embd);
      L.wv = load.matrix(p + "attn_v.weight", n.value_dim(), d.n_embd);
      L.dn_conv =
          load.conv_tables({p + "ssm_conv1d_q.weight", p + "ssm_conv1d_k.weight", p + "ssm_conv1d_v.weight"},
                           n.conv_kernel, inner);
      L.kda_f_a = load.matrix(p + "ssm_f_a.weight", hd, d.n_embd);
      L.kda_f_b = load.matrix(p + "ssm_f_b.weight", inner, hd);
      L.dn_dt_bias = load.vector(p + "ssm_dt.bias", inner);
      L.dn_a = load.table(p + "ssm_a", 1, n.n_v_heads);
      L.dn_beta = load.matrix(p + "ssm_beta.weight", n.n_v_heads, d.n_embd);
      L.kda_g_a = load.matrix(p + "ssm_g_a.weight", hd, d.n_embd);
      L.kda_g_b = load.matrix(p + "ssm_g_b.weight", n.value_dim(), hd);
      L.dn_norm = load.vector(p + "ssm_norm.weight", n.head_v_dim);
      L.dn_out = load.matrix(p + "attn_output.weight", d.n_embd, n.value_dim());
    } else if (d.mixer(l) == ModelDescription::Mixer::DeltaNet) {  // a gated delta-net layer (Qwen3.5)
      const ModelDescription::DeltaNet& n = d.delta;
      L.dn_qkv = load.matrix(p + "attn_qkv.weight", n.conv_dim(), d.n_embd);
      L.dn_z = load.matrix(p + "attn_gate.weight", n.value_dim(), d.n_embd);
      L.dn_conv = load.table(p + "ssm_conv1d.weight", n.conv_kernel, n.conv_dim());
      L.dn_dt_bias = load.vector(p + "ssm_dt.bias", n.n_v_heads);
      L.dn_a = load.vector(p + "ssm_a", n.n_v_heads);
      if (n.grouped) {  // (Qwen3-Next: β and α in one matrix, packed per key head)
        L.dn_beta = load.matrix(p + "ssm_beta_alpha.weight", 2 * n.n_v_heads, d.n_embd);
      } else {
        L.dn_beta = load.matrix(p + "ssm_beta.weight", n.n_v_heads, d.n_embd);
        L.dn_alpha = load.matrix(p + "ssm_alpha.weight", n.n_v_heads, d.n_embd);
      }
      L.dn_norm = load.vector(p + "ssm_norm.weight", n.head_v_dim);
      L.dn_out = load.matrix(p + "ssm_out.weight", d.n_embd, n.value_dim());
    } else if (d.mixer(l) == ModelDescription::Mixer::None) {
      // (Nemotron-H: an FFN layer, no mixer; deci: no attention)
    } else if (d.mixer(l) == ModelDescription::Mixer::Linear) {  // (deci: attention replaced by one matrix)
      L.wo = load.matrix(p + "attn_output.weight", d.n_embd, d.n_embd);
      L.bo = load.vector(p + "attn_output.bias", d.n_embd, false);
    } else if (!d.has_attention(l)) {  // a short-convolution layer (LFM2)
      L.conv_in = load.matrix(p + "shortconv.in_proj.weight", 3 * d.n_embd, d.n_embd);
      L.conv_taps = load.table(p + "shortconv.conv.weight", d.shortconv_kernel, d.n_embd);
      L.conv_out = load.matrix(p + "shortconv.out_proj.weight", d.n_embd, d.n_embd);
    } else if (arch.fused_qkv) {
      // (MPT: llama.cpp's loader takes a per-layer LayerNorm of q and k (attn_config.qk_ln), learned
      // positions (alibi: false) and AWQ's activation scales (ffn_act), none of which MosaicML's released
      // models have; Glasswing runs none of them)
      if (d.architecture == "mpt")
        for (const std::string& t : {p + "attn_q_norm.weight", p + "attn_k_norm.weight", p + "ffn_act.scales"})
          if (load.has(t))
            throw std::runtime_error("tensor '" + t +
                                     "': mpt with q and k LayerNorms (qk_ln) or AWQ "
                                     "activation scales is not supported");
      const int64_t n_qkv = d.q_dim() + 2 * d.kv_dim();
      L.wqkv = load.matrix(p + "attn_qkv.weight", n_qkv, d.n_embd);
      L.bqkv = load.vector(p + "attn_qkv.bias", n_qkv, biases);
    } else if (arch.packed_qkv && load.has(p + "attn_qkv.weight")) {
      const WeightMatrix qkv = load.matrix(p + "attn_qkv.weight", d.q_dim() + 2 * d.kv_dim(), d.n_embd);
      L.wq = rows_of(qkv, 0, d.q_dim(), "q rows");
      L.wk = rows_of(qkv, d.q_dim(), d.kv_dim(), "k rows");
      L.wv = rows_of(qkv, d.q_dim() + d.kv_dim(), d.kv_dim(), "v rows");
      if (const Vector b = load.vector(p + "attn_qkv.bias", d.q_dim() + 2 * d.kv_dim(), false); !b.empty()) {
        L.bq = b.subspan(0, static_cast<size_t>(d.q_dim()));  // (phi2)
        L.bk = b.subspan(static_cast<size_t>(d.q_dim()), static_cast<size_t>(d.kv_dim()));
        L.bv = b.subspan(static_cast<size_t>(d.q_dim() + d.kv_dim()), static_cast<size_t>(d.kv_dim()));
      }
    } else if (d.is_mla()) {
      load_mla(load, p, d, L);
    } else if (arch.layer_shapes) {
      // Gemma 4: this layer's own head shape; k (and v: absent means V = K) only where the layer keeps its
      // own keys and values. (NVFP4 exports scale each matrix's output by a .scale tensor: refused, not
      // ignored.)
      for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"})
        if (load.has(p + m + ".scale") || load.has(p + m + ".input_scale"))
          throw std::runtime_error("tensor '" + p + m +
                                   ".scale': per-matrix output scales (NVFP4 exports) are not supported");
      const ModelDescription::Heads h = d.heads(l);
      L.wq = load.matrix(p + "attn_q.weight", h.q_dim(), d.n_embd);
      if (d.keeps_kv(l)) {
        L.wk = load.matrix(p + "attn_k.weight", h.kv_dim(), d.n_embd);
        // (Gemma 3n's layers always have theirs)
        if (arch.altup || load.has(p + "attn_v.weight"))
          L.wv = load.matrix(p + "attn_v.weight", h.kv_dim(), d.n_embd);
      }
    } else {
      const ModelDescription::Heads h = d.heads(l);  // (deci: this layer's own KV heads)
      L.wq = load.matrix(p + "attn_q.weight", (arch.attn_output_gate ? 2 : 1) * h.q_dim(), d.n_embd);
      L.wk = load.matrix(p + "attn_k.weight", h.kv_dim(), d.n_embd);
      L.wv = load.matrix(p + "attn_v.weight", h.kv_dim(), d.n_embd);
      L.bq = load.vector(p + "attn_q.bias", h.q_dim(), false);
      L.bk = load.vector(p + "attn_k.bias", h.kv_dim(), false);
      L.bv = load.vector(p + "attn_v.bias", h.kv_dim(), false);
    }
    if (!d.has_attention(l)) {
      // (no attention tensors)
    } else if (d.qk_layer_norm) {
      // StableLM 2 12B, Command R+: LayerNorms without biases, with gains of their own for every head
      // ([head_dim, n_head] and [head_dim, n_head_kv], as llama.cpp's loader takes them)
      L.q_norm = load.table(p + "attn_q_norm.weight", d.head_dim, d.n_head);
      L.k_norm = load.table(p + "attn_k_norm.weight", d.head_dim, d.n_head_kv);
    } else if (arch.qk_norm || (arch.qk_norm_if_present && load.has(p + "attn_q_norm.weight"))) {
      // per head, or over the whole of q and of k (olmo2)
      const int64_t hd = d.heads(l).head_dim;
      L.q_norm = load.vector(p + "attn_q_norm.weight", arch.qk_norm_full ? d.q_dim() : hd);
      if (d.keeps_kv(l))
        L.k_norm = load.vector(p + "attn_k_norm.weight", arch.qk_norm_full ? d.kv_dim() : hd);
    }
    if (arch.attn_gate_proj && d.has_attention(l))  // (afmoe: the output gate's own matrix)
      L.w_attn_gate = load.matrix(p + "attn_gate.weight", d.heads(l).q_dim(), d.n_embd);
    if (d.has_attention(l)) {
      L.wo =
          load.matrix(p + "attn_output.weight", d.n_embd, d.is_mla() ? d.attn_out_dim() : d.heads(l).q_dim());
      L.bo = load.vector(p + "attn_output.bias", d.n_embd, biases);
    }
    if (arch.layer_shapes) {  // Gemma 4: the layer's output scale, and where the model has them its inputs
      L.out_scale = load.vector(p + "layer_output_scale.weight", 1, false);
      if (d.per_layer_embd > 0) {
        L.ple_gate = load.matrix(p + "inp_gate.weight", d.per_layer_embd, d.n_embd);
        L.ple_proj = load.matrix(p + "proj.weight", d.n_embd, d.per_layer_embd);
        L.ple_norm = load.vector(p + "post_norm.weight", d.n_embd);
      }
    }
    if (arch.altup) {  // Gemma 3n's AltUp and LAuReL
      const int64_t n = d.altup.n_inputs;
      L.altup_router = load.matrix(p + "altup_router.weight", n, d.n_embd);
      L.altup_router_norm = load.vector(p + "altup_router_norm.weight", d.n_embd);
      L.altup_predict = load.matrix(p + "altup_predict_coef.weight", n * n, n);
      L.altup_correct = load.matrix(p + "altup_correct_coef.weight", n, n);
      L.altup_correct_scale = load.vector(p + "altup_correct_scale.weight", d.n_embd);
      L.laurel_l = load.matrix(p + "laurel_l.weight", d.altup.laurel_rank, d.n_embd);
      L.laurel_r = load.matrix(p + "laurel_r.weight", d.n_embd, d.altup.laurel_rank);
      L.laurel_norm = load.vector(p + "laurel_post_norm.weight", d.n_embd);
    }
    if (arch.post_norms) {
      L.attn_post_norm = load.vector(p + "post_attention_norm.weight", d.n_embd);
      L.ffn_post_norm = load.vector(p + "post_ffw_norm.weight", d.n_embd);
    }
    if (arch.attn_sinks) L.attn_sinks = load.vector(p + "attn_sinks.weight", d.n_head);
    // (Nemotron-H: an FFN layer's norm is its attn_norm; a mixer layer has no FFN)
    if (!d.has_ffn(l)) continue;
    const std::string ffn_norm = p + std::string(arch.ffn_norm);
    // (StableLM 2 12B: no ffn_norm, its FFN in parallel from the attention norm's output)
    const bool no_ffn_norm = d.parallel_residual && d.architecture == "stablelm";
    if (arch.single_sublayer || arch.nonparametric_norms)  // (olmo: gains of 1 as attention's)
      L.ffn_norm = L.attn_norm;
    else if (arch.parallel_hybrid && load.has(ffn_norm))  // (Falcon-H1's converter: no ".weight")
      L.ffn_norm = load.vector(ffn_norm, d.n_embd);
    else if (!arch.no_pre_norms && !arch.ffn_norm.empty() && !no_ffn_norm)  // (Phi-2, Command-R: none)
      L.ffn_norm = load.vector(ffn_norm + ".weight", d.n_embd);
    if (!arch.ffn_norm.empty() && !no_ffn_norm)
      L.ffn_norm_b = load.vector(ffn_norm + ".bias", d.n_embd, layer_norm);
    if (d.moe_layer(l) && arch.layer_shapes) {
      // Gemma 4's mixture: experts (gate and up rows in one tensor per expert) beside the dense FFN, a router
      // reading its own normalization of x, each expert's output scaled
      L.router = load.matrix(p + "ffn_gate_inp.weight", d.n_expert, d.n_embd);
      L.router_scale = load.vector(p + "ffn_gate_inp.scale", d.n_embd);
      if (load.has(p + "ffn_gate_up_exps.weight")) {
        const auto gate_up =
            load.slices(p + "ffn_gate_up_exps.weight", 2 * d.n_ff_exp, d.n_embd, d.n_expert, "expert");
        for (const WeightMatrix& m : gate_up) {
          L.gate_exps.push_back(rows_of(m, 0, d.n_ff_exp, "gate rows"));
          L.up_exps.push_back(rows_of(m, d.n_ff_exp, d.n_ff_exp, "up rows"));
        }
      } else {  // (gate and up as two tensors, as llama.cpp's loader also accepts them)
        L.gate_exps = load.slices(p + "ffn_gate_exps.weight", d.n_ff_exp, d.n_embd, d.n_expert, "expert");
        L.up_exps = load.slices(p + "ffn_up_exps.weight", d.n_ff_exp, d.n_embd, d.n_expert, "expert");
      }
      L.down_exps = load.slices(p + "ffn_down_exps.weight", d.n_embd, d.n_ff_exp, d.n_expert, "expert");
      L.down_exps_scale = load.vector(p + "ffn_down_exps.scale", d.n_expert, false);
      L.moe_norm = load.vector(p + "pre_ffw_norm_2.weight", d.n_embd);
      L.ffn_post_norm_1 = load.vector(p + "post_ffw_norm_1.weight", d.n_embd);
      L.moe_post_norm = load.vector(p + "post_ffw_norm_2.weight", d.n_embd);
      L.w_gate = load.matrix(p + "ffn_gate.weight", d.n_ff, d.n_embd);
      L.w_up = load.matrix(p + "ffn_up.weight", d.n_ff, d.n_embd);
      L.w_down = load.matrix(p + "ffn_down.weight", d.n_embd, d.n_ff);
    } else if (d.moe_layer(l)) {  // each expert's slice of the ffn_*_exps tensors
      L.router = load.matrix(p + "ffn_gate_inp.weight", d.n_expert, d.n_embd);
      L.router_b = load.vector(p + "ffn_gate_inp.bias", d.n_expert, false);
      L.exp_probs_b = load.vector(p + "exp_probs_b.bias", d.n_expert, false);
      const bool gated = arch.ffn != FfnKind::ReluSqr;  // (Nemotron's ReLU² experts have no gate)
      if (d.n_expert_shared > 0) {
        if (gated) L.gate_shexp = load.matrix(p + "ffn_gate_shexp.weight", d.n_ff_shexp, d.n_embd);
        L.up_shexp = load.matrix(p + "ffn_up_shexp.weight", d.n_ff_shexp, d.n_embd);
        L.down_shexp = load.matrix(p + "ffn_down_shexp.weight", d.n_embd, d.n_ff_shexp);
        if (arch.gated_shared_expert)
          L.shexp_gate = load.row_matrix(p + "ffn_gate_inp_shexp.weight", d.n_embd);
      }
      L.gate_exps_b = load.vectors(p + "ffn_gate_exps.bias", d.n_ff_exp, d.n_expert, false);
      L.up_exps_b = load.vectors(p + "ffn_up_exps.bias", d.n_ff_exp, d.n_expert, false);
      L.down_exps_b = load.vectors(p + "ffn_down_exps.bias", d.n_embd, d.n_expert, false);
      if (gated)
        L.gate_exps = load.slices(p + "ffn_gate_exps.weight", d.n_ff_exp, d.n_embd, d.n_expert, "expert");
      L.up_exps = load.slices(p + "ffn_up_exps.weight", d.n_ff_exp, d.n_embd, d.n_expert, "expert");
      L.down_exps = load.slices(p + "ffn_down_exps.weight", d.n_embd, d.n_ff_exp, d.n_expert, "expert");
    } else if (arch.packed_gate_up) {
      const WeightMatrix gate_up = load.matrix(p + "ffn_up.weight", 2 * d.n_ff, d.n_embd);
      L.w_gate = rows_of(gate_up, 0, d.n_ff, "gate rows");
      L.w_up = rows_of(gate_up, d.n_ff, d.n_ff, "up rows");
    } else {
      const int64_t n_ff = d.ff_width(l);
      if (arch.ffn != FfnKind::Gelu && arch.ffn != FfnKind::ReluSqr &&
          arch.ffn != FfnKind::XIelu)  // (ungated)
        L.w_gate = load.matrix(p + "ffn_gate.weight", n_ff, d.n_embd);
      L.w_up = load.matrix(p + "ffn_up.weight", n_ff, d.n_embd);
      L.b_up = load.vector(p + "ffn_up.bias", n_ff, biases);
    }
    if (!d.moe_layer(l)) {
      L.w_down = load.matrix(p + "ffn_down.weight", d.n_embd, d.ff_width(l));
      L.b_down = load.vector(p + "ffn_down.bias", d.n_embd, biases);
    }
  }

  // (LFM2's final norm is named token_embd_norm)
  w.output_norm = arch.nonparametric_norms ? unit_gains
                                           : load.vector(arch.short_conv && load.has("token_embd_norm.weight")
                                                             ? "token_embd_norm.weight"
                                                             : "output_norm.weight",
                                                         d.n_embd);
  w.output_norm_b = load.vector("output_norm.bias", d.n_embd, layer_norm);
  w.output = d.tied_embeddings ? w.token_embd : load.matrix("output.weight", d.n_vocab, d.n_embd);
  w.output_b = load.vector("output.bias", d.n_vocab, false);
  if (d.per_layer_embd > 0) {  // Gemma 4's per-layer inputs: per token, per_layer_embd floats of each layer
    const int64_t all = d.per_layer_embd * d.n_layer;
    w.per_layer_token_embd = load.matrix("per_layer_token_embd.weight", d.n_vocab, all);
    w.per_layer_model_proj = load.matrix("per_layer_model_proj.weight", all, d.n_embd);
    w.per_layer_proj_norm = load.vector("per_layer_proj_norm.weight", d.per_layer_embd);
  }
  if (arch.altup) {
    const int64_t others = d.altup.n_inputs - 1;
    w.altup_proj = load.slices("altup_proj.weight", d.n_embd, d.n_embd, others, "stream");
    w.altup_unembd = load.slices("altup_unembd_proj.weight", d.n_embd, d.n_embd, others, "stream");
  }
  if (arch.rope != RopeKind::None) {
    // Per-pair frequency factors: Llama 3.1+'s rope_freqs, else LongRoPE's short and long ones (Phi-3.5,
    // Phi-4-mini), both or neither; llama.cpp takes rope_freqs where a file had both.
    const int64_t pairs = d.n_rot / 2;
    auto factors = [&](const char* name) {
      const Vector v = load.vector(name, pairs, false);
      for (float f : v)
        if (!(f > 0.0f) || !std::isfinite(f))
          throw std::runtime_error(std::string("tensor '") + name + "' holds " + std::to_string(f) +
                                   ", not a positive frequency divisor");
      return v;
    };
    w.rope_freqs = factors("rope_freqs.weight");
    if (w.rope_freqs.empty()) {
      w.rope_freqs = factors("rope_factors_short.weight");
      w.rope_freqs_long = factors("rope_factors_long.weight");
      if (w.rope_freqs.empty() != w.rope_freqs_long.empty())
        throw std::runtime_error(
            "LongRoPE needs both rope_factors_short.weight and rope_factors_long.weight");
    }
    // the fast engines' divisors: the factors with linear or YaRN scaling folded in (empty: all 1)
    const RopeScaling& r = d.rope_scaling;
    auto divisors = [&](const Vector& f) -> Vector {
      if (f.empty() && !r.scales_angles()) return {};
      auto& v = w.converted_.emplace_back(static_cast<size_t>(pairs));
      for (int64_t i = 0; i < pairs; ++i) {
        const auto k = static_cast<size_t>(i);
        v[k] = static_cast<float>((f.empty() ? 1.0 : static_cast<double>(f[k])) / r.angle_scale(i));
      }
      return v;
    };
    w.rope_divisors_ = divisors(w.rope_freqs);
    w.rope_divisors_long_ = w.rope_freqs_long.empty() ? w.rope_divisors_ : divisors(w.rope_freqs_long);
  }
  return w;
}

bool Weights::long_rope(const ModelDescription& d, int64_t n_ctx) const {
  return !rope_freqs_long.empty() && n_ctx > d.rope_scaling.n_ctx_orig;
}

uint64_t Weights::matrix_bytes() const {
  uint64_t total = 0;
  auto add = [&](const WeightMatrix& m) {
    if (m) total += m.row_bytes * static_cast<uint64_t>(m.n_rows);
  };
  for (const auto& L : layers) {
    for (const auto* m : {&L.wq, &L.wk, &L.wv, &L.wqkv, &L.wo, &L.w_gate, &L.w_up, &L.w_down, &L.router,
                          &L.gate_shexp, &L.up_shexp, &L.down_shexp})
      add(*m);
    for (const auto* m : {&L.wq_a,         &L.wq_b,          &L.wkv_a,         &L.shexp_gate, &L.conv_in,
                          &L.conv_out,     &L.dn_qkv,        &L.dn_z,          &L.dn_beta,    &L.dn_alpha,
                          &L.dn_out,       &L.mb_in,         &L.mb_out,        &L.ple_gate,   &L.ple_proj,
                          &L.altup_router, &L.altup_predict, &L.altup_correct, &L.laurel_l,   &L.laurel_r})
      add(*m);
    for (const auto* experts : {&L.gate_exps, &L.up_exps, &L.down_exps, &L.k_b, &L.v_b})
      for (const auto& m : *experts) add(m);
  }
  add(output);
  for (const auto* streams : {&altup_proj, &altup_unembd})
    for (const auto& m : *streams) add(m);
  add(per_layer_model_proj);  // (per_layer_token_embd, as token_embd, is read a row per token)
  return total;
}

}  // namespace glasswing::model
