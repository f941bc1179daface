// Writes random-weight models (see synth_model.h). Rows are generated and quantized in parallel, each row
// from its own seed, so the file depends only on the options, never on the thread count.
#include "inference/synth/synth_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <thread>

#include "inference/gguf/gguf_writer.h"
#include "inference/quant/quant.h"

namespace glasswing::synth {

using gguf::GgmlType;

namespace {

// Real hyper-parameters from each model's config.json (llama2.c for stories15M).
std::vector<Shape> make_shapes() {
  std::vector<Shape> s;
  auto add = [&](Shape shape) { s.push_back(std::move(shape)); };
  // Columns: name, arch, embd, layers, heads, kv heads, ff, vocab, ctx, rope base, eps, tied, hidden, then
  // where needed key_length (0: n_embd / n_head), the llama3 RoPE scaling factor and its original context,
  // the sliding window (gemma2/3), a linear RoPE scaling factor and the soft caps of attention and logits.
  // clang-format off
  add({"stories15m",     "llama", 288,  6,  6,  6,  768,   32000,  256,    10000.0f,   1e-5f, true,  false});
  add({"smollm2-135m",   "llama", 576,  30, 9,  3,  1536,  49152,  8192,   100000.0f,  1e-5f, true,  false});
  add({"qwen2.5-0.5b",   "qwen2", 896,  24, 14, 2,  4864,  151936, 32768,  1000000.0f, 1e-6f, true,  false});
  // Qwen3 0.6B: q and k heads of 128 (16 x 128 = 2048 wide against n_embd 1024), per-head q and k norms.
  add({"qwen3-0.6b",     "qwen3", 1024, 28, 16, 8,  3072,  151936, 40960,  1000000.0f, 1e-6f, true,  false, 128});
  // Phi-3-mini-4k: q|k|v in one attn_qkv, gate|up in one ffn_up (2 x 8192 rows).
  add({"phi-3-mini",     "phi3",  3072, 32, 32, 32, 8192,  32064,  4096,   10000.0f,   1e-5f, false, false});
  add({"tinyllama-1.1b", "llama", 2048, 22, 32, 4,  5632,  32000,  2048,   10000.0f,   1e-5f, false, false});
  // Llama 3.2 1B: the llama3 RoPE scaling (factor 32, original context 8192) as rope_freqs.weight.
  add({"llama-3.2-1b",   "llama", 2048, 16, 32, 8,  8192,  128256, 131072, 500000.0f,  1e-5f, true,  false, 0,
       32.0f, 8192});
  // Gemma 3 1B: heads of 256, one KV head, a window of 512 keys on five layers of six.
  add({"gemma-3-1b",     "gemma3", 1152, 26, 4, 1,  6912,  262144, 32768,  1000000.0f, 1e-6f, true,  false, 256,
       0.0f, 8192, 512});
  // Gemma 2 2B: heads of 256, a window of 4096 keys on even layers, soft-capping 50 (attention) and 30 (logits).
  add({"gemma-2-2b",     "gemma2", 2304, 26, 8, 4,  9216,  256000, 8192,   10000.0f,   1e-6f, true,  false, 256,
       0.0f, 8192, 4096, 0.0f, 50.0f, 30.0f});
  // Qwen3 30B-A3B: 128 experts of width 768, 8 per token.
  add({"qwen3-30b-a3b",  "qwen3moe", 2048, 48, 32, 4, 6144, 151936, 40960, 1000000.0f, 1e-6f, false, false, 128,
       0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 128, 8, 768});
  // gpt-oss-20b: 32 experts of width 2880, 4 per token; 64 heads of 64 (4096 wide against n_embd 2880), a
  // window of 128 keys on even layers, YaRN x32 over 4096 positions.
  add({"gpt-oss-20b",    "gpt-oss", 2880, 24, 64, 8, 2880, 201088, 131072, 150000.0f, 1e-5f, false, false, 64,
       0.0f, 4096, 128, 0.0f, 0.0f, 0.0f, 32, 4, 2880, 32.0f});
  // GLM-4.5-Air: 128 experts of 1408 (8 per token) and one shared, the first layer dense (10944), heads of 128
  // (96 x 128 = 12288 wide against n_embd 4096) with RoPE on half, and one multi-token-prediction layer.
  Shape air{"glm-4.5-air", "glm4moe", 4096, 46, 96, 8, 10944, 151552, 131072, 1000000.0f, 1e-5f, false, false, 128,
            0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 128, 8, 1408};
  air.rope_dims = 64;
  air.n_dense_lead = 1;
  air.n_expert_shared = 1;
  air.n_nextn = 1;
  air.expert_weights_scale = 1.0f;
  add(air);
  // GLM-4.7-Flash (30B-A3B): latent attention (20 heads, q rank 768, latent 512, heads of 192 + 64 for q and k
  // and of 256 for v), 64 experts of 1536 (4 per token) and one shared, the first layer dense, one MTP layer.
  Shape flash{"glm-4.7-flash", "deepseek2", 2048, 47, 20, 1, 10240, 154880, 202752, 1000000.0f, 1e-5f, false,
              false, 576, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 64, 4, 1536};
  flash.rope_dims = 64;
  flash.q_rank = 768;
  flash.kv_rank = 512;
  flash.qk_nope = 192;
  flash.v_head = 256;
  flash.n_dense_lead = 1;
  flash.n_expert_shared = 1;
  flash.n_nextn = 1;
  flash.expert_weights_scale = 1.8f;
  add(flash);
  // Moonshot Kimi-Linear-48B-A3B (its config.json): Kimi Delta Attention (32 heads of 128, 4 taps) on all
  // layers but 4, 8, ..., 24 and 27 (1-based), which run latent attention without RoPE (32 heads, no q
  // rank, a latent of 512 with a key part of 64, heads of 128 + 64 for q and k and of 128 for v); 256
  // experts of 1024 (8 per token, sigmoid, scaled by 2.446) and one shared, the first layer dense (9216)
  Shape kimi{"kimi-linear-48b", "kimi-linear", 2304, 27, 32, 1, 9216, 163840, 1048576, 10000.0f, 1e-5f, false,
             false, 576, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 256, 8, 1024};
  kimi.attention_layers = {3, 7, 11, 15, 19, 23, 26};
  kimi.rope_dims = 64;
  kimi.kv_rank = 512;
  kimi.qk_nope = 128;
  kimi.v_head = 128;
  kimi.dn_head_dim = 128;
  kimi.conv_kernel = 4;
  kimi.n_dense_lead = 1;
  kimi.n_expert_shared = 1;
  kimi.expert_weights_scale = 2.446f;
  add(kimi);
  // MiniMax-M2 (230B-A10B): 48 heads of 128 (6144 wide against n_embd 3072) with RoPE on half of each, q and
  // k normalized whole, 256 experts of 1536 (8 per token) in every layer, a sigmoid router with a bias.
  Shape minimax{"minimax-m2", "minimax-m2", 3072, 62, 48, 8, 1536, 200064, 196608, 5000000.0f, 1e-6f, false,
                false, 128, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 256, 8, 1536};
  minimax.rope_dims = 64;
  add(minimax);
  // dots.llm1 (142B-A14B): 32 heads of 128, the first layer dense (10944), 128 experts of 1408 (6 per token)
  // and two shared, a sigmoid router with a bias, weights renormalized and scaled by 2.5.
  Shape dots1{"dots.llm1", "dots1", 4096, 62, 32, 32, 10944, 152064, 32768, 10000000.0f, 1e-5f, false, false, 128,
              0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 128, 6, 1408};
  dots1.n_dense_lead = 1;
  dots1.n_expert_shared = 2;
  dots1.expert_weights_scale = 2.5f;
  add(dots1);
  // K-EXAONE-236B-A23B (exaone-moe): 64 heads of 128 over 8 KV heads, per-head q and k norms, windows of 128
  // keys on three layers of four (the fourth without RoPE), the first layer dense (18432), 128 experts of
  // 2048 (8 per token) and one shared, a sigmoid router with a bias, weights renormalized and scaled by 2.5
  // (its config.json; its multi-token-prediction layer is not part of the 236B)
  Shape k_exaone{"k-exaone-236b-a23b", "exaone-moe", 6144, 48, 64, 8, 18432, 153600, 262144, 1000000.0f, 1e-5f,
                 false, false, 128, 0.0f, 8192, 128, 0.0f, 0.0f, 0.0f, 128, 8, 2048};
  for (uint32_t l = 0; l < k_exaone.n_layer; ++l) k_exaone.sliding_layers.push_back((l + 1) % 4 != 0);
  k_exaone.n_dense_lead = 1;
  k_exaone.n_expert_shared = 1;
  k_exaone.expert_weights_scale = 2.5f;
  add(k_exaone);
  // Ling-mini-2.0 (16B-A1.4B): 16 heads of 128 with RoPE on half of each, the first layer dense (5120), 256
  // experts of 512 (8 per token, from the best 4 of 8 groups) and one shared, weights scaled by 2.5.
  Shape ling{"ling-mini-2.0", "bailingmoe2", 2048, 20, 16, 4, 5120, 157184, 32768, 600000.0f, 1e-6f, false, false,
             128, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 256, 8, 512};
  ling.rope_dims = 64;
  ling.n_dense_lead = 1;
  ling.n_expert_shared = 1;
  ling.expert_weights_scale = 2.5f;
  ling.expert_groups = 8;
  ling.expert_groups_used = 4;
  add(ling);
  // Ling-lite (16.8B-A2.75B): 16 heads of 128, 64 experts of 1408 (6 per token) by softmax, renormalized, and
  // two shared ones in every layer.
  Shape ling_lite{"ling-lite", "bailingmoe", 2048, 28, 16, 4, 5632, 126464, 16384, 600000.0f, 1e-6f, false, false,
                  0, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 64, 6, 1408};
  ling_lite.n_expert_shared = 2;
  ling_lite.expert_weights_scale = 1.0f;
  ling_lite.expert_gating_func = 0;
  add(ling_lite);
  // Arcee Trinity Nano (6B-A1B, afmoe): 8 heads of 128 over 2 KV heads with an output gate each, windows of
  // 2048 on three layers of four, the first two layers dense (3072), then 128 experts of 256 (8 per token) and
  // one shared, a sigmoid router with a bias, weights renormalized and scaled by 2.826 (its config.json)
  Shape trinity{"trinity-nano", "afmoe", 1024, 56, 8, 2, 3072, 200192, 131072, 10000.0f, 1e-5f, false, false, 128,
                0.0f, 8192, 2048, 0.0f, 0.0f, 0.0f, 128, 8, 256};
  trinity.n_dense_lead = 2;
  trinity.n_expert_shared = 1;
  trinity.expert_weights_scale = 2.826f;
  add(trinity);
  // Arcee Trinity Mini (26B-A3B, afmoe): Nano's layout at 2048 wide, 32 layers (32 heads of 128 over 4 KV
  // heads), dense layers of 6144, experts of 1024, from a stored copy of its config.json (an AfmoeConfig test
  // fixture: hidden_size 2048, num_hidden_layers 32, num_attention_heads 32, num_key_value_heads 4, head_dim
  // 128, intermediate_size 6144, moe_intermediate_size 1024, num_dense_layers 2, num_experts 128,
  // num_experts_per_tok 8, num_shared_experts 1, route_scale 2.826, sliding_window 2048, vocab_size 200192,
  // tie_word_embeddings false; the Neuron port's MINI_OVERRIDES give the same widths)
  Shape trinity_mini = trinity;
  trinity_mini.name = "trinity-mini";
  trinity_mini.n_embd = 2048;
  trinity_mini.n_layer = 32;
  trinity_mini.n_head = 32;
  trinity_mini.n_head_kv = 4;
  trinity_mini.n_ff = 6144;
  trinity_mini.n_ff_exp = 1024;
  add(trinity_mini);
  // PowerInfer SmallThinker-4B-A0.6B: 12 heads of 128 over 2 KV heads, RoPE θ 1.5e6 on every layer (no
  // windows), 32 ReGLU experts of 768 (4 per token) in every layer, a sigmoid router on the layer's input,
  // tied embeddings (its config.json)
  Shape smallthinker{"smallthinker-4b", "smallthinker", 1536, 32, 12, 2, 768, 151936, 32768, 1500000.0f, 1e-6f,
                     true, false, 128, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 32, 4, 768};
  add(smallthinker);
  // SmolLM3 3B: llama's layers, every fourth without RoPE.
  add({"smollm3-3b",     "smollm3", 2048, 36, 16, 4, 11008, 128256, 65536, 5000000.0f, 1e-6f, true, false});
  // Llama 4 Scout (17B-16E) and Maverick (17B-128E), text: 40 heads of 128 over 8 KV heads, experts of 8192
  // (one per token) beside a shared one; Scout's in every layer (its dense feed_forward_length, 16384, then
  // sizes no tensor), Maverick's on the odd layers between dense FFNs of 16384; Scout's llama3 RoPE scaling
  // x16 over 8192 positions with high_freq_factor 1 (Meta's config)
  Shape scout{"llama-4-scout", "llama4", 5120, 48, 40, 8, 16384, 202048, 10485760, 500000.0f, 1e-5f, false, false,
              128, 16.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 16, 1, 8192};
  scout.n_expert_shared = 1;
  scout.moe_step = 1;
  scout.rope_high_freq_factor = 1.0f;
  add(scout);
  Shape maverick{"llama-4-maverick", "llama4", 5120, 48, 40, 8, 16384, 202048, 1048576, 500000.0f, 1e-5f, false,
                 false, 128, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 128, 1, 8192};
  maverick.n_expert_shared = 1;
  maverick.moe_step = 2;
  add(maverick);
  // MiniCPM-2B (sft, dpo: "2.4B non-embedding parameters"): 36 heads of 64, tied embeddings of 122753
  // tokens, the multipliers as llama.cpp's converter writes them (scale_emb 12, scale_depth 1.4 / √40,
  // hidden_size / dim_model_base = 2304 / 256)
  Shape minicpm{"minicpm-2b", "minicpm", 2304, 40, 36, 36, 5760, 122753, 4096, 10000.0f, 1e-5f, true, false};
  minicpm.embedding_scale = 12.0f;
  minicpm.residual_scale = 1.4f / std::sqrt(40.0f);
  minicpm.logit_scale = 9.0f;
  add(minicpm);
  // MiniCPM3-4B: latent attention (40 heads, q rank 768, latent 256, heads of 64 + 32 for q and k and of 64
  // for v, NeoX RoPE), dense FFNs of 6400, tied embeddings, MiniCPM's multipliers (its converter writes no
  // keys for them)
  Shape minicpm3{"minicpm3-4b", "minicpm3", 2560, 62, 40, 40, 6400, 73448, 32768, 10000.0f, 1e-5f, true, false};
  minicpm3.rope_dims = 32;
  minicpm3.q_rank = 768;
  minicpm3.kv_rank = 256;
  minicpm3.qk_nope = 64;
  minicpm3.v_head = 64;
  add(minicpm3);
  // Phi-3.5-MoE-instruct (41.9B, 6.6B active): 32 heads of 128 over 8 KV heads, 16 experts of 6400 (2 per
  // token) in every layer, norms and projections with biases, 131072 positions (LongRoPE over 4096)
  add({"phi-3.5-moe", "phimoe", 4096, 32, 32, 8, 6400, 32064, 131072, 10000.0f, 1e-5f, false, false, 0, 0.0f,
       8192, 0, 0.0f, 0.0f, 0.0f, 16, 2, 0});
  // Llama 2 7B: the model of llama.cpp's published GPU benchmark tables ("llama 7B Q4_0", 6.74 B).
  add({"llama-2-7b",     "llama", 4096, 32, 32, 32, 11008, 32000,  4096,   10000.0f,   1e-5f, false, false});
  // Small shapes for tests: K-quant-compatible rows, rows that force fallbacks, qwen2 biases, qwen3 heads
  // wider than n_embd / n_head, phi3's packed projections, and the llama3 RoPE scaling of a model trained on
  // 16 positions (so that it turns most pairs within a short test).
  add({"test-tiny",        "llama", 256, 2, 4, 2, 512, 320, 128, 10000.0f,   1e-5f, false, true});
  add({"test-tiny-odd",    "llama", 96,  2, 4, 2, 160, 300, 128, 10000.0f,   1e-5f, true,  true});
  add({"test-tiny-qwen2",  "qwen2", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true,  true});
  add({"test-tiny-qwen3",  "qwen3", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true,  true, 64});
  add({"test-tiny-hunyuan-dense", "hunyuan-dense", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true, true, 64});
  add({"test-tiny-phi3",   "phi3",  256, 2, 4, 2, 512, 320, 128, 10000.0f,   1e-5f, false, true});
  add({"test-tiny-llama3", "llama", 256, 2, 4, 2, 512, 320, 128, 500000.0f,  1e-5f, true,  true, 0, 8.0f, 16});
  // gemma3 with six layers (the last one global), a window of 4 keys and linear RoPE scaling on the global layer
  // gemma2 with a window of 4 keys on layers 0 and 2, and soft caps small enough to shape random weights' outputs
  add({"test-tiny-gemma2", "gemma2", 128, 4, 4, 2, 256, 300, 128, 10000.0f, 1e-6f, true, true, 64, 0.0f, 8192, 4,
       0.0f, 1.0f, 0.5f});
  // mixtures of 4 experts, 2 per token: qwen3moe (experts of 64) and a Mixtral-style llama (experts of n_ff)
  add({"test-tiny-qwen3moe", "qwen3moe", 128, 2, 4, 2, 192, 300, 128, 1000000.0f, 1e-6f, true, true, 64, 0.0f,
       8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64});
  add({"test-tiny-mixtral", "llama", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true, 0, 0.0f, 8192, 0,
       0.0f, 0.0f, 0.0f, 4, 2, 0});
  add({"test-tiny-gemma3", "gemma3", 128, 6, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true, true, 64, 0.0f, 8192, 4,
       8.0f});
  // MiniCPM: granite's multipliers as its converter writes them (scale_emb 12, scale_depth 1.4 / √2,
  // n_embd / dim_model_base = 128 / 256), tied embeddings
  Shape minicpm_tiny{"test-tiny-minicpm", "minicpm", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true, true};
  minicpm_tiny.embedding_scale = 12.0f;
  minicpm_tiny.residual_scale = 1.4f / std::sqrt(2.0f);
  minicpm_tiny.logit_scale = 0.5f;
  add(minicpm_tiny);
  // MiniCPM3: latent attention (4 heads, q rank 48, a latent of 64, heads of 32 + 16 for q and k and of 32 =
  // n_embd / n_head for v), tied embeddings, MiniCPM's multipliers by default (no keys)
  Shape minicpm3_tiny{"test-tiny-minicpm3", "minicpm3", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-5f, true, true};
  minicpm3_tiny.rope_dims = 16;
  minicpm3_tiny.q_rank = 48;
  minicpm3_tiny.kv_rank = 64;
  minicpm3_tiny.qk_nope = 32;
  minicpm3_tiny.v_head = 32;
  add(minicpm3_tiny);
  // Phi-3.5-MoE: norms and projections with biases, 4 experts (2 per token), a biased classifier
  add({"test-tiny-phimoe", "phimoe", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true, 0, 0.0f, 8192, 0,
       0.0f, 0.0f, 0.0f, 4, 2, 0});
  // granite's multipliers (embeddings x12, residuals x0.22, scores x1/64, logits /8), dense and with 4 experts
  Shape granite{"test-tiny-granite", "granite", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true, true};
  granite.embedding_scale = 12.0f;
  granite.residual_scale = 0.22f;
  granite.attention_scale = 0.015625f;
  granite.logit_scale = 8.0f;
  add(granite);
  granite.name = "test-tiny-granitemoe";
  granite.arch = "granitemoe";
  granite.n_expert = 4;
  granite.n_expert_used = 2;
  granite.n_ff_exp = 64;
  add(granite);
  // glm4: q, k and v with biases, gate|up in one ffn_up, post-sublayer norms, RoPE on half of each head
  Shape glm4{"test-tiny-glm4", "glm4", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true, 64};
  glm4.rope_dims = 32;
  add(glm4);
  // glm4moe with a dense first layer, 4 routed experts of 64 (2 per token) and 2 shared ones, a sigmoid router
  // whose weights are renormalized and scaled by 2.5, RoPE on half of each head, and a multi-token-prediction
  // layer after the two (GLM-4.5's layout; "-qk": with per-head q and k norms, no dense layer)
  Shape glm4moe{"test-tiny-glm4moe", "glm4moe", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, false, true, 64,
                0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  glm4moe.rope_dims = 32;
  glm4moe.n_dense_lead = 1;
  glm4moe.n_expert_shared = 2;
  glm4moe.n_nextn = 1;
  glm4moe.expert_weights_scale = 2.5f;
  add(glm4moe);
  glm4moe.name = "test-tiny-glm4moe-qk";
  glm4moe.n_dense_lead = 0;
  glm4moe.n_expert_shared = 1;
  glm4moe.n_nextn = 0;
  glm4moe.qk_norm = true;
  add(glm4moe);
  // deepseek2: latent attention (a latent of 64 with a RoPE key of 16, heads of 32 + 16 for q and k and of 48
  // for v, one attn_q), a dense first layer, 4 experts of 64 (2 per token) and one shared, a sigmoid router
  // scaled by 1.8 (GLM-4.7-Flash's layout); "-q": q through a rank of 96, DeepSeek-V2's softmax router (no
  // gating key), no dense layer
  Shape ds2{"test-tiny-deepseek2", "deepseek2", 128, 2, 4, 1, 256, 300, 128, 10000.0f, 1e-6f, false, true, 80,
            0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  ds2.rope_dims = 16;
  ds2.kv_rank = 64;
  ds2.qk_nope = 32;
  ds2.v_head = 48;
  ds2.n_dense_lead = 1;
  ds2.n_expert_shared = 1;
  ds2.expert_weights_scale = 1.8f;
  add(ds2);
  ds2.name = "test-tiny-deepseek2-q";
  ds2.q_rank = 96;
  ds2.n_dense_lead = 0;
  ds2.expert_gating_func = 0;
  ds2.expert_weights_scale = 0.0f;
  add(ds2);
  // "-wide": "-q" with a latent of 128 and v heads of 128, so that each head's k_b and v_b are whole row
  // groups (kRowGroupRows): the Vulkan engine's one dispatch over all heads
  Shape ds2_wide = ds2;
  ds2_wide.name = "test-tiny-deepseek2-wide";
  ds2_wide.kv_rank = 128;
  ds2_wide.v_head = 128;
  ds2_wide.key_length = 144;
  ds2_wide.expert_groups = 2;  // (DeepSeek-V3's group-limited choice: the experts of the better of 2 groups)
  ds2_wide.expert_groups_used = 1;
  add(ds2_wide);
  // mistral4 (Mistral Small 4): deepseek2's layers under its own name, with Llama 4's attention temperature
  // stepping every 8 positions (large, so that it shows)
  ds2.name = "test-tiny-mistral4";
  ds2.arch = "mistral4";
  ds2.attn_temp_scale = 0.5f;
  ds2.attn_temp_floor = 8;
  add(ds2);
  // minimax-m2: heads of 64 (256 wide against n_embd 128) with RoPE on half of each, q and k normalized whole,
  // 4 experts of 64 (2 per token) in every layer, a sigmoid router with a bias and no keys for renormalizing
  // or scaling (as MiniMax-M2's files: llama.cpp renormalizes them all the same)
  Shape minimax_tiny{"test-tiny-minimax-m2", "minimax-m2", 128, 2, 4, 2, 256, 300, 128, 5000000.0f, 1e-6f, false,
                     true, 64, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  minimax_tiny.rope_dims = 32;
  add(minimax_tiny);
  // dots1: qwen3's per-head q and k norms, a dense first layer, 4 experts of 64 (2 per token) and 2 shared, a
  // sigmoid router with a bias, weights renormalized and scaled by 2.5 (dots.llm1's layout)
  Shape dots1_tiny{"test-tiny-dots1", "dots1", 128, 2, 4, 2, 256, 300, 128, 10000000.0f, 1e-5f, false, true, 64,
                   0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  dots1_tiny.n_dense_lead = 1;
  dots1_tiny.n_expert_shared = 2;
  dots1_tiny.expert_weights_scale = 2.5f;
  add(dots1_tiny);
  // afmoe (Arcee Trinity): heads of 32 with per-head q and k norms and an output gate, norms after both
  // sublayers, windows of 4 on three layers of four (the fourth without RoPE), a dense first layer, then 4
  // experts of 64 (2 per token) and one shared, a sigmoid router with a bias, scaled by 2.826
  Shape afmoe_tiny{"test-tiny-afmoe", "afmoe", 128, 4, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true, 32,
                   0.0f, 8192, 4, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  afmoe_tiny.n_dense_lead = 1;
  afmoe_tiny.n_expert_shared = 1;
  afmoe_tiny.expert_weights_scale = 2.826f;
  add(afmoe_tiny);
  // smallthinker: every layer a mixture of 4 ReGLU experts of 64 (2 per token) routed from the layer's input,
  // by softmax; with windows (as SmallThinker-21B's file says), the first layer of four attends to every key
  // without RoPE
  Shape smallthinker_tiny{"test-tiny-smallthinker", "smallthinker", 128, 5, 4, 2, 64, 300, 128, 1500000.0f,
                          1e-6f, false, true, 32, 0.0f, 8192, 4096, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  smallthinker_tiny.expert_gating_func = 1;
  add(smallthinker_tiny);
  // bailingmoe2: q|k|v in one attn_qkv, heads of 32 with per-head norms and RoPE on half, a dense first layer,
  // 4 experts of 32 (2 per token) in 2 groups of which the best one is eligible, one shared expert of 64, a
  // sigmoid router with a bias scaled by 2.5, and a multi-token-prediction layer (Ling 2.0's layout)
  Shape ling_tiny{"test-tiny-bailingmoe2", "bailingmoe2", 128, 2, 4, 2, 256, 300, 128, 600000.0f, 1e-6f, false,
                  true, 32, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 32};
  ling_tiny.rope_dims = 16;
  ling_tiny.n_dense_lead = 1;
  ling_tiny.n_expert_shared = 1;
  ling_tiny.n_ff_shexp = 64;
  ling_tiny.n_nextn = 1;
  ling_tiny.expert_weights_scale = 2.5f;
  ling_tiny.expert_groups = 2;
  ling_tiny.expert_groups_used = 1;
  add(ling_tiny);
  // bailingmoe: llama's attention, 4 experts of 64 (2 per token) by softmax, renormalized, beside 2 shared ones
  // in every layer (Ling-lite's layout; no gating key, as its converter writes none)
  Shape ling1_tiny{"test-tiny-bailingmoe", "bailingmoe", 128, 2, 4, 2, 256, 300, 128, 600000.0f, 1e-6f, false,
                   true, 0, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  ling1_tiny.n_expert_shared = 2;
  ling1_tiny.expert_weights_scale = 1.0f;
  ling1_tiny.expert_gating_func = 0;
  add(ling1_tiny);
  // qwen2moe: qwen2's layers, 4 experts of 64 (2 per token, weights not renormalized) and a shared expert of
  // 4 x 64 gated per token (Qwen1.5-MoE's layout)
  Shape qwen2moe{"test-tiny-qwen2moe", "qwen2moe", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true, true, 0,
                 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  qwen2moe.n_expert_shared = 4;
  add(qwen2moe);
  // mistral3: llama's layers with YaRN x4 over 32 positions at unit magnitude, and Llama 4's attention
  // temperature past those 32 (sessions stop there)
  Shape mistral3{"test-tiny-mistral3", "mistral3", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, false, true};
  mistral3.rope_yarn_factor = 4.0f;
  mistral3.rope_original_ctx = 32;
  mistral3.attn_temp_scale = 0.1f;
  add(mistral3);
  // ernie4_5-moe: a dense first layer, 4 experts of 64 (2 per token) chosen by softmax plus a bias, and a
  // shared expert of 2 x 64 (ERNIE-4.5-21B-A3B's layout)
  Shape ernie{"test-tiny-ernie4_5-moe", "ernie4_5-moe", 128, 2, 4, 2, 256, 300, 128, 500000.0f, 1e-5f, true, true,
              0, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  ernie.n_dense_lead = 1;
  ernie.n_expert_shared = 2;
  add(ernie);
  // hunyuan-moe: q and k norms after RoPE, 4 experts of 64 (2 per token, softmax, renormalized) beside a
  // shared expert of 64 (Hunyuan-A13B's layout)
  Shape hunyuan_moe{"test-tiny-hunyuan-moe", "hunyuan-moe", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true,
                    true, 64, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  hunyuan_moe.n_expert_shared = 1;
  add(hunyuan_moe);
  // olmoe: q and k normalized whole, 4 experts of n_ff (2 per token) weighted by their probabilities as they
  // are (OLMoE's layout); seed_oss: attention biases (output too), the pre-FFN norm named post_attention_norm
  add({"test-tiny-olmoe", "olmoe", 128, 2, 4, 4, 64, 300, 128, 10000.0f, 1e-5f, false, true, 0, 0.0f, 8192, 0,
       0.0f, 0.0f, 0.0f, 4, 2, 0});
  add({"test-tiny-seed-oss", "seed_oss", 128, 2, 4, 2, 256, 300, 128, 10000000.0f, 1e-6f, false, true});
  // olmo2: norms after the sublayers only, q and k normalized whole; four layers, three of them with a
  // window of 4 keys (OLMo 3's layout)
  Shape olmo2{"test-tiny-olmo2", "olmo2", 128, 4, 4, 2, 256, 300, 128, 500000.0f, 1e-6f, false, true};
  olmo2.sliding_window = 4;
  add(olmo2);
  // llama4 with four layers (the last without RoPE), chunks of 4 positions on the others, the NoPE layer's
  // temperature rising every 3 positions (scale 0.5), heads q and k RMS-normalized after RoPE, the llama3
  // RoPE scaling over 16 positions, and 4 experts of 64 (1 per token) beside the shared one on the odd layers
  Shape llama4{"test-tiny-llama4", "llama4", 128, 4, 4, 2, 256, 300, 128, 500000.0f, 1e-5f, false, true, 0, 8.0f,
               16};
  llama4.n_expert = 4;
  llama4.n_expert_used = 1;
  llama4.n_ff_exp = 64;
  llama4.n_expert_shared = 1;
  llama4.moe_step = 2;
  llama4.attn_chunk = 4;
  llama4.attn_temp_floor = 3;
  llama4.attn_temp_scale = 0.5f;
  add(llama4);
  // smollm3 with four layers, the last without RoPE
  add({"test-tiny-smollm3", "smollm3", 128, 4, 4, 2, 256, 300, 128, 10000.0f, 1e-6f, true, true});
  // gpt-oss with heads of 64 (256 wide against n_embd 128), a window of 4 keys on layer 0, 4 experts of 64 (2
  // per token) and YaRN x4 over 32 positions
  add({"test-tiny-gpt-oss", "gpt-oss", 128, 2, 4, 2, 128, 300, 128, 150000.0f, 1e-5f, false, true, 64, 0.0f, 32,
       4, 0.0f, 0.0f, 0.0f, 4, 2, 64, 4.0f});
  // LFM2-1.2B and LFM2-350M: attention on layers 2, 5, 8, 10, 12 and 14, short convolutions of 3 taps between
  Shape lfm2{"lfm2-1.2b", "lfm2", 2048, 16, 32, 8, 8192, 65536, 128000, 1000000.0f, 1e-5f, true, false};
  lfm2.attention_layers = {2, 5, 8, 10, 12, 14};
  add(lfm2);
  lfm2.name = "lfm2-350m";
  lfm2.n_embd = 1024;
  lfm2.n_head = 16;
  lfm2.n_ff = 4608;
  add(lfm2);
  // Qwen3.5-0.8B as its config lists it: attention (heads of 256, RoPE on a quarter, an output gate) on every
  // fourth layer, gated delta nets of 16 key and 16 value heads of 128 on the others
  Shape qwen35{"qwen3.5-0.8b", "qwen35", 1024, 24, 8, 2, 3584, 248320, 262144, 10000000.0f, 1e-6f, true, false,
               256};
  qwen35.rope_dims = 64;
  qwen35.full_attention_interval = 4;
  qwen35.dn_k_heads = qwen35.dn_v_heads = 16;
  qwen35.dn_head_dim = 128;
  qwen35.conv_kernel = 4;
  add(qwen35);
  // Qwen3.5-35B-A3B: the same layers at 2048 wide (attention of 16 heads, 2 KV heads; delta nets of 16 key and
  // 32 value heads), every FFN 256 experts of 512 (8 per token) beside a gated shared expert of 512
  Shape qwen35moe = qwen35;
  qwen35moe.name = "qwen3.5-35b-a3b";
  qwen35moe.arch = "qwen35moe";
  qwen35moe.n_embd = 2048;
  qwen35moe.n_layer = 40;
  qwen35moe.n_head = 16;
  qwen35moe.n_ff = 512;
  qwen35moe.tied_embeddings = false;
  qwen35moe.dn_v_heads = 32;
  qwen35moe.n_expert = 256;
  qwen35moe.n_expert_used = 8;
  qwen35moe.n_ff_exp = 512;
  qwen35moe.n_expert_shared = 1;
  add(qwen35moe);
  // Qwen3-Next-80B-A3B: 48 such layers of 512 experts (10 per token), Qwen3's vocabulary
  Shape next = qwen35moe;
  next.name = "qwen3-next-80b-a3b";
  next.arch = "qwen3next";
  next.n_layer = 48;
  next.n_vocab = 151936;
  next.n_expert = 512;
  next.n_expert_used = 10;
  add(next);
  // Pythia-160M and -1.4B (EleutherAI, GPT-NeoX): LayerNorms, RoPE on a quarter of each head, attention and
  // FFN in parallel
  Shape pythia{"pythia-160m", "gptneox", 768, 12, 12, 12, 3072, 50304, 2048, 10000.0f, 1e-5f, false, false};
  pythia.rope_dims = 16;
  add(pythia);
  Shape pythia_1b{"pythia-1.4b", "gptneox", 2048, 24, 16, 16, 8192, 50304, 2048, 10000.0f, 1e-5f, false, false};
  pythia_1b.rope_dims = 32;
  add(pythia_1b);
  // Phi-2: the same parallel block from one LayerNorm, RoPE on 32 of each head's 80, a biased classifier
  Shape phi2{"phi-2", "phi2", 2560, 32, 32, 32, 10240, 51200, 2048, 10000.0f, 1e-5f, false, false};
  phi2.rope_dims = 32;
  add(phi2);
  // Falcon-7B: one LayerNorm before attention (71 heads of 64 over one KV head) and the GELU FFN in
  // parallel; Falcon-40B: two (attn_norm_2 for attention), 128 heads over 8 KV heads; both with an
  // output.weight of their own (the checkpoints' lm_head, which llama.cpp's converter writes)
  add({"falcon-7b", "falcon", 4544, 32, 71, 1, 18176, 65024, 2048, 10000.0f, 1e-5f, false, false});
  Shape falcon_40b{"falcon-40b", "falcon", 8192, 60, 128, 8, 32768, 65024, 2048, 10000.0f, 1e-5f, false, false};
  falcon_40b.attn_norm_2 = true;
  add(falcon_40b);
  // NVIDIA Minitron-4B: LayerNorms, 24 heads of 128 over 8 KV heads with RoPE on half of each (NeoX pairs),
  // a ReLU² FFN of 9216, Nemotron's vocabulary of 256000
  Shape minitron{"minitron-4b", "nemotron", 3072, 32, 24, 8, 9216, 256000, 4096, 10000.0f, 1e-5f, false, false};
  minitron.rope_dims = 64;
  add(minitron);
  // NVIDIA Llama-3.3-Nemotron-Super-49B-v1 (deci): 80 layers of 8192 cut from Llama 3.3 70B by a neural
  // architecture search, as its config.json's block_configs say: 64 query heads of 128 over 8 KV heads
  // (n_heads_in_group 8) where a layer attends, no attention at all in 31 of them; FFNs of
  // ffn_mult·2/3·8192 rounded up to 256 (ffn_mult 0.5 to 5.25: 2816 to 28672); Llama 3's vocabulary,
  // RoPE base 500000 with its "llama3" scaling (factor 8 over 8192)
  Shape super49{"nemotron-super-49b", "deci", 8192, 80, 64, 8, 28672, 128256, 131072, 500000.0f, 1e-5f, false,
                false};
  super49.rope_scaling_factor = 8.0f;
  {
    // per layer: its KV heads (0: no attention) and ffn_mult as the config writes it
    constexpr std::pair<uint32_t, double> blocks[] = {
        {8, 2.625}, {8, 5.25},  {8, 5.25}, {8, 5.25},    {8, 5.25},   {8, 5.25},   {0, 2.625},  {0, 2.625},
        {8, 5.25},  {8, 5.25},  {8, 5.25}, {0, 3.28125}, {8, 5.25},   {8, 5.25},   {8, 5.25},   {8, 5.25},
        {8, 5.25},  {8, 5.25},  {8, 5.25}, {8, 5.25},    {8, 5.25},   {8, 5.25},   {8, 5.25},   {8, 5.25},
        {8, 5.25},  {8, 5.25},  {8, 5.25}, {8, 5.25},    {8, 5.25},   {8, 5.25},   {8, 5.25},   {8, 5.25},
        {8, 5.25},  {8, 5.25},  {8, 5.25}, {8, 5.25},    {8, 5.25},   {8, 5.25},   {8, 5.25},   {8, 5.25},
        {8, 5.25},  {8, 5.25},  {0, 1.3125}, {0, 2.625}, {0, 2.625},  {0, 1.3125}, {0, 5.25},   {0, 1.3125},
        {0, 2.625}, {0, 1.3125}, {0, 1.3125}, {0, 1.3125}, {8, 5.25}, {0, 1.3125}, {0, 1.0},    {0, 1.0},
        {0, 1.3125}, {0, 1.0},  {0, 1.0},  {0, 1.0},     {0, 1.3125}, {0, 1.3125}, {0, 0.5},    {0, 0.5},
        {0, 1.0},   {0, 1.0},   {0, 0.5},  {0, 0.5},     {0, 1.0},    {0, 0.5},    {0, 0.5},    {8, 5.25},
        {8, 5.25},  {8, 5.25},  {8, 5.25}, {8, 5.25},    {8, 5.25},   {8, 5.25},   {8, 5.25},   {8, 5.25}};
    for (const auto& [kv, mult] : blocks) {
      // (DeciLM's _ffn_mult_to_intermediate_size, as llama.cpp's converter computes it)
      const auto width = static_cast<uint32_t>(2 * mult * 8192 / 3);
      super49.layer_ff.push_back((width + 255) / 256 * 256);
      super49.layer_kv_heads.push_back(kv);
      super49.layer_heads.push_back(kv ? 64 : 0);
    }
  }
  add(super49);
  // OLMo 1 (the -hf checkpoints llama.cpp converts): LayerNorms without parameters, SwiGLU, 50304 tokens;
  // OLMo-1B: 16 layers of 2048, tied; OLMo-7B: 32 of 4096, untied; OLMo-7B-0424 (1.7): the 7B with q, k and v
  // clamped to ±8 (clip_qkv) and 4096 positions
  add({"olmo-1b", "olmo", 2048, 16, 16, 16, 8192, 50304, 2048, 10000.0f, 1e-5f, true, false});
  add({"olmo-7b", "olmo", 4096, 32, 32, 32, 11008, 50304, 2048, 10000.0f, 1e-5f, false, false});
  Shape olmo_17{"olmo-7b-0424", "olmo", 4096, 32, 32, 32, 11008, 50304, 4096, 10000.0f, 1e-5f, false, false};
  olmo_17.clamp_kqv = 8.0f;
  add(olmo_17);
  // StarCoder (gpt_bigcode): learned positions, LayerNorms and projections with biases, one KV head
  // (multi-query), an ungated GELU FFN of 4 × n_embd, tied embeddings (their configs' tie_word_embeddings).
  // TinyStarCoder-Py (164M): 20 layers of 768 (12 heads); StarCoderBase-1B and SantaCoder (1.1B): 24 of 2048
  // (16 heads), SantaCoder with 2048 positions and 49280 tokens; StarCoder / StarCoderBase / WizardCoder-15B
  // (15.5B): 40 of 6144 (48 heads)
  // BigScience BLOOM (bloom-560m's and bloomz-7b1's config.json: tied embeddings, 250880 tokens, 4·n_embd FFN)
  add({"bloom-560m", "bloom", 1024, 24, 16, 16, 4096, 250880, 2048, 10000.0f, 1e-5f, true, false});
  add({"bloomz-7b1", "bloom", 4096, 30, 32, 32, 16384, 250880, 2048, 10000.0f, 1e-5f, true, false});
  // MosaicML MPT-7B and MPT-30B (their config.json: d_model, n_layers, n_heads, expansion_ratio 4, 50432
  // tokens, max_seq_len; no_bias, tied)
  add({"mpt-7b", "mpt", 4096, 32, 32, 32, 16384, 50432, 2048, 10000.0f, 1e-5f, true, false});
  add({"mpt-30b", "mpt", 7168, 48, 64, 64, 28672, 50432, 8192, 10000.0f, 1e-5f, true, false});
  add({"tinystarcoder", "starcoder", 768, 20, 12, 1, 3072, 49152, 8192, 10000.0f, 1e-5f, true, false});
  add({"starcoderbase-1b", "starcoder", 2048, 24, 16, 1, 8192, 49152, 8192, 10000.0f, 1e-5f, true, false});
  add({"santacoder", "starcoder", 2048, 24, 16, 1, 8192, 49280, 2048, 10000.0f, 1e-5f, true, false});
  add({"starcoder-15b", "starcoder", 6144, 40, 48, 1, 24576, 49152, 8192, 10000.0f, 1e-5f, true, false});
  // StarCoder2-3B: LayerNorms and projections with biases, 24 heads of 128 over 2 KV heads, a GELU FFN of
  // 12288, tied embeddings (its RoPE base as the config writes it)
  add({"starcoder2-3b", "starcoder2", 3072, 30, 24, 2, 12288, 49152, 16384, 999999.4420358813f, 1e-5f, true,
       false});
  // StableLM 2 1.6B: LayerNorms, q, k and v with biases, RoPE on a quarter of each head (16 of 64), SwiGLU
  Shape stablelm2{"stablelm-2-1.6b", "stablelm", 2048, 24, 32, 32, 5632, 100352, 4096, 10000.0f, 1e-5f, false,
                  false};
  stablelm2.rope_dims = 16;
  add(stablelm2);
  // StableLM 2 12B: 32 heads of 160 over 8 KV heads, q and k LayerNorm'd per head with gains per head,
  // no q, k, v biases, the FFN (13824) in parallel from the attention norm's output, RoPE on 40 of 160
  Shape stablelm12{"stablelm-2-12b", "stablelm", 5120, 40, 32, 8, 13824, 100352, 4096, 10000.0f, 1e-5f, false,
                   false};
  stablelm12.rope_dims = 40;
  stablelm12.qk_norm = true;
  add(stablelm12);
  // InternLM2.5-7B: llama's layers, 32 heads over 8 KV heads
  add({"internlm2.5-7b", "internlm2", 4096, 32, 32, 8, 14336, 92544, 32768, 1000000.0f, 1e-5f, false, false});
  // Baichuan2-7B: llama's layers, 32 heads of 128 without grouping, a vocabulary of 125696 (its config)
  add({"baichuan2-7b", "baichuan", 4096, 32, 32, 32, 11008, 125696, 4096, 10000.0f, 1e-6f, false, false});
  // Baichuan2-13B (its config.json: 40 layers, 40 heads, ALiBi; 13696 FFN, 4096 positions)
  add({"baichuan2-13b", "baichuan", 5120, 40, 40, 40, 13696, 125696, 4096, 10000.0f, 1e-6f, false, false});
  // Orion-14B: 40 layers of 40 heads of 128, LayerNorms with biases, SwiGLU of 15360, 84608 tokens
  add({"orion-14b", "orion", 5120, 40, 40, 40, 15360, 84608, 4096, 10000.0f, 1e-5f, false, false});
  // XVERSE-7B: llama's layers, 32 heads of 128, a vocabulary of 100534, 8192 positions
  add({"xverse-7b", "xverse", 4096, 32, 32, 32, 11008, 100534, 8192, 10000.0f, 1e-6f, false, false});
  // GLM-4-9B-Chat (chatglm): 40 layers, 32 heads of 128 over 2 KV groups with RoPE on half of each (adjacent
  // pairs; rope_ratio 500: a base of 5e6), q|k|v with biases, gate|up of 13696 packed, its padded vocabulary
  // of 151552; ChatGLM3-6B: the same layers, 28 of them, RoPE's base 10000, a vocabulary of 65024
  Shape glm4_9b{"glm-4-9b", "chatglm", 4096, 40, 32, 2, 13696, 151552, 131072, 5000000.0f, 1.5625e-7f, false,
                false};
  glm4_9b.rope_dims = 64;
  add(glm4_9b);
  Shape chatglm3{"chatglm3-6b", "chatglm", 4096, 28, 32, 2, 13696, 65024, 8192, 10000.0f, 1e-5f, false, false};
  chatglm3.rope_dims = 64;
  add(chatglm3);
  // Qwen-7B, Qwen-14B (qwen): llama's layers with q|k|v packed with biases, every head its own keys, NeoX
  // RoPE over whole heads, SwiGLU of half the config's intermediate_size (22016, 27392)
  add({"qwen-7b", "qwen", 4096, 32, 32, 32, 11008, 151936, 32768, 10000.0f, 1e-6f, false, false});
  add({"qwen-14b", "qwen", 5120, 40, 40, 40, 13696, 152064, 8192, 10000.0f, 1e-6f, false, false});
  // Apertus-8B: 32 heads of 128 over 8 KV heads with per-head q and k norms, an ungated xIELU FFN of 21504,
  // Llama 3's RoPE scaling (factor 8 over 8192 positions)
  add({"apertus-8b", "apertus", 4096, 32, 32, 8, 21504, 131072, 65536, 12000000.0f, 1e-5f, false, false, 0, 8.0f,
       8192});
  // Command R7B (cohere2): windows of 4096 keys on three layers of four, the fourth without RoPE; logits
  // times 0.25
  Shape r7b{"command-r7b", "cohere2", 4096, 32, 32, 8, 14336, 256000, 8192, 50000.0f, 1e-5f, true, false};
  r7b.sliding_window = 4096;
  r7b.logit_scale = 0.25f;
  add(r7b);
  // Command R+ (104B): 96 heads of 128 over 8 KV heads, q and k LayerNorm'd per head with gains per head,
  // an FFN of 33792 in parallel, tied embeddings, logits times 0.8333 (its config's logit_scale)
  Shape r_plus{"command-r-plus", "command-r", 12288, 64, 96, 8, 33792, 256000, 8192, 75000000.0f, 1e-5f, true,
               false};
  r_plus.logit_scale = 0.8333333f;
  r_plus.qk_norm = true;
  add(r_plus);
  // Cohere North Mini Code (cohere2moe), from a stored copy of its config.json (NORTH_CONFIG, pinned from
  // north_mini_code.inspect_artifact): 49 layers of 2048 (32 heads of 128 over 4 KV heads), full attention on
  // every fourth layer from layer 0 (layer_types), windows of 4096 keys on the others, RoPE θ 50000, the
  // first layer dense (prefix_dense_intermediate_size 3072), then 128 experts of 768 (8 per token; its
  // norm_topk_prob false, which this writer does not carry) without shared ones, 262144 tokens, tied
  // embeddings (no tie_word_embeddings: Cohere2's default), an RMS epsilon of 1e-6 (rms_norm_eps: RMSNorms, as
  // llama.cpp runs them). (The copy gives no logit_scale: the converter's default of 1.) Glasswing refuses a
  // file of it today by name: its dense layer 0 attends to every key and llama.cpp turns it by RoPE all the
  // same
  Shape north{"north-mini-code", "cohere2moe", 2048, 49, 32, 4, 3072, 262144, 500000, 50000.0f, 1e-6f, true,
              false, 128, 0.0f, 8192, 4096, 0.0f, 0.0f, 0.0f, 128, 8, 768};
  for (uint32_t l = 0; l < north.n_layer; ++l) north.sliding_layers.push_back(l % 4 != 0 ? 1 : 0);
  north.n_dense_lead = 1;
  north.logit_scale = 1.0f;
  north.expert_gating_func = 0;
  north.rms_norms = true;
  add(north);
  // Granite-4.0-H-350M: attention (no RoPE) on layers 10, 13, 17 and 27 of 32, Mamba-2 on the others (48 heads
  // of 32, a state of 128 in one group, a convolution of 4 taps with a bias), granite's multipliers
  Shape granite_h{"granite-4.0-h-350m", "granitehybrid", 768, 32, 12, 4, 2048, 100352, 32768, 10000.0f, 1e-5f,
                  true, false};
  granite_h.attention_layers = {10, 13, 17, 27};
  granite_h.conv_kernel = 4;
  granite_h.ssm_inner = 1536;
  granite_h.ssm_state = 128;
  granite_h.ssm_heads = 48;
  granite_h.ssm_groups = 1;
  granite_h.rope_off = true;
  granite_h.embedding_scale = 12.0f;
  granite_h.residual_scale = 0.246f;
  granite_h.attention_scale = 0.015625f;
  granite_h.logit_scale = 3.0f;
  add(granite_h);
  // Granite-4.0-H-Tiny ("a 7B parameter long-context instruct model", IBM's card): 40 layers of 1536,
  // attention (12 heads of 128 over 4 KV heads, no RoPE) on layers 5, 15, 25 and 35, Mamba-2 on the others
  // (48 heads of 64, a state of 128 in one group, a convolution of 4 taps), 64 experts of 512 (6 per token)
  // beside a shared expert of 1024 in every layer, tied embeddings of 100352 tokens. The sizes are its
  // config.json's as a stored copy of it gives them (GRANITE_H_TINY_HF: hidden_size, num_hidden_layers,
  // num_attention_heads, num_key_value_heads, intermediate_size, shared_intermediate_size,
  // num_local_experts, num_experts_per_tok, vocab_size, mamba_*, max_position_embeddings, layer_types); the
  // multipliers a GGUF of it carries (embedding 12, attention 0.0078125, residual 0.22, logits 6)
  Shape granite_tiny{"granite-4.0-h-tiny", "granitehybrid", 1536, 40, 12, 4, 512, 100352, 131072, 10000.0f,
                     1e-5f, true, false};
  granite_tiny.attention_layers = {5, 15, 25, 35};
  granite_tiny.conv_kernel = 4;
  granite_tiny.ssm_inner = 3072;
  granite_tiny.ssm_state = 128;
  granite_tiny.ssm_heads = 48;
  granite_tiny.ssm_groups = 1;
  granite_tiny.rope_off = true;
  granite_tiny.n_expert = 64;
  granite_tiny.n_expert_used = 6;
  granite_tiny.n_ff_exp = 512;
  granite_tiny.n_expert_shared = 1;
  granite_tiny.n_ff_shexp = 1024;
  granite_tiny.embedding_scale = 12.0f;
  granite_tiny.residual_scale = 0.22f;
  granite_tiny.attention_scale = 0.0078125f;
  granite_tiny.logit_scale = 6.0f;
  add(granite_tiny);
  // Mamba-Codestral-7B-v0.1 (Mistral): 64 Mamba-2 layers (128 heads of 64, a state of 128, B and C in 8
  // groups, a convolution of 4 taps with a bias) alone, a vocabulary of 32768, the output not tied; the
  // converter's context of 2^20 (the model has no positions)
  Shape codestral{"mamba-codestral-7b", "mamba2", 4096, 64, 0, 0, 0, 32768, 1048576, 10000.0f, 1e-5f, false,
                  false};
  codestral.conv_kernel = 4;
  codestral.ssm_inner = 8192;
  codestral.ssm_state = 128;
  codestral.ssm_heads = 128;
  codestral.ssm_groups = 8;
  add(codestral);
  // Falcon-Mamba-7B (TII): 64 Mamba-1 layers (8192 channels, a state of 16 each, dt through a rank of 256,
  // dt, B and C RMS-normalized, a convolution of 4 taps with a bias), 65024 tokens, the output not tied
  Shape falcon_mamba{"falcon-mamba-7b", "mamba", 4096, 64, 0, 0, 0, 65024, 1048576, 10000.0f, 1e-5f, false,
                     false};
  falcon_mamba.conv_kernel = 4;
  falcon_mamba.ssm_inner = 8192;
  falcon_mamba.ssm_state = 16;
  falcon_mamba.ssm_dt_rank = 256;
  falcon_mamba.dt_b_c_rms = true;
  add(falcon_mamba);
  // AI21 Jamba Mini 1.7 (Jamba-v0.1's and Jamba 1.5 Mini's shape): 32 layers, attention (32 heads, 8 KV,
  // no RoPE) on every 8th from layer 4 and Mamba-1 on the others (8192 channels, a state of 16, dt through
  // a rank of 256, a convolution of 4 taps), 16 experts of 14336 (2 per token) on every other layer from
  // layer 1, dense SwiGLUs of 14336 on the rest, 65536 tokens, the output not tied
  Shape jamba_mini{"jamba-mini-1.7", "jamba", 4096, 32, 32, 8, 14336, 65536, 262144, 10000.0f, 1e-6f, false,
                   false};
  jamba_mini.attention_layers = {4, 12, 20, 28};
  jamba_mini.conv_kernel = 4;
  jamba_mini.ssm_inner = 8192;
  jamba_mini.ssm_state = 16;
  jamba_mini.ssm_dt_rank = 256;
  jamba_mini.n_expert = 16;
  jamba_mini.n_expert_used = 2;
  jamba_mini.moe_step = 2;
  add(jamba_mini);
  // Nemotron-H-8B-Base-8K (nvidia): 52 layers as its hybrid_override_pattern
  // "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-" lays them out: 24 Mamba-2 (128 heads of 64, a state
  // of 128, B and C in 8 groups, a convolution of 4 taps), 4 attention without RoPE (32 heads of 128, 8 KV
  // heads) and 24 ReLU² FFNs of 21504; 131072 tokens, the output not tied
  Shape nemotron_h{"nemotron-h-8b", "nemotron_h", 4096, 52, 32, 8, 21504, 131072, 8192, 10000.0f, 1e-5f, false,
                   false};
  const std::string_view pattern = "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-";
  for (uint32_t l = 0; l < pattern.size(); ++l) {
    if (pattern[l] == '*') nemotron_h.attention_layers.push_back(l);
    if (pattern[l] == '-') nemotron_h.ffn_layers.push_back(l);
  }
  nemotron_h.conv_kernel = 4;
  nemotron_h.ssm_inner = 8192;
  nemotron_h.ssm_state = 128;
  nemotron_h.ssm_heads = 128;
  nemotron_h.ssm_groups = 8;
  add(nemotron_h);
  // Gemma 4 (google-deepmind/gemma's gm.nn.Gemma4_* and transformers' conversion variants agree): a window on
  // every layer but each period-th (heads of 256, RoPE θ 10⁴ on all of them), full layers with heads of 512
  // (θ 10⁶ on 64 of their 256 pairs), GeGLU FFNs of 4 × n_embd, a final soft-cap of 30, tied embeddings and
  // 262144 tokens. The KV heads of the full layers (num_global_key_value_heads) are written per layer where
  // the config has them (26B-A4B, 31B: those layers also have no attn_v, V = K).
  auto gemma4 = [&](const char* name, uint32_t embd, uint32_t layers, uint32_t heads, uint32_t kv_swa,
                    uint32_t kv_full, uint32_t period, uint32_t window, uint32_t ctx) {
    Shape g{name, "gemma4", embd, layers, heads, kv_swa, 4 * embd, 262144, ctx, 1000000.0f, 1e-6f, true, false,
            512};
    g.sliding_window = window;
    g.final_softcap = 30.0f;
    g.key_length_swa = g.rope_dims_swa = 256;
    g.rope_pairs_full = 64;  // partial_rotary_factor 0.25 of 512
    for (uint32_t l = 0; l < layers; ++l) {
      g.sliding_layers.push_back((l + 1) % period != 0);
      if (kv_full) g.layer_kv_heads.push_back(g.sliding_layers.back() ? kv_swa : kv_full);
    }
    g.k_eq_v = kv_full != 0;
    return g;
  };
  // E2B: 35 layers of 1536 (four sliding, one full), one KV head; the last 20 read layers 13's and 14's keys
  // and values, and their FFNs are twice as wide (use_double_wide_mlp: 12288); per-layer inputs of 256
  Shape e2b = gemma4("gemma-4-e2b", 1536, 35, 8, 1, 0, 5, 512, 131072);
  e2b.shared_kv_layers = 20;
  e2b.per_layer_embd = 256;
  for (uint32_t l = 0; l < e2b.n_layer; ++l) e2b.layer_ff.push_back(e2b.keeps_kv(l) ? e2b.n_ff : 2 * e2b.n_ff);
  add(e2b);
  // E4B: 42 layers of 2560 (five sliding, one full), two KV heads; the last 18 read layers 22's and 23's (FFNs
  // of 10240 throughout); per-layer inputs of 256
  Shape e4b = gemma4("gemma-4-e4b", 2560, 42, 8, 2, 0, 6, 512, 131072);
  e4b.shared_kv_layers = 18;
  e4b.per_layer_embd = 256;
  add(e4b);
  // 26B-A4B: 30 layers of 2816, 8 KV heads on the sliding layers and 2 on the full ones; every FFN 128 experts
  // of 704 (8 per token) beside a dense one of 2112
  Shape a4b = gemma4("gemma-4-26b-a4b", 2816, 30, 16, 8, 2, 6, 1024, 262144);
  a4b.n_ff = 2112;
  a4b.n_expert = 128;
  a4b.n_expert_used = 8;
  a4b.n_ff_exp = 704;
  add(a4b);
  // 31B: 60 layers of 5376, 16 KV heads on the sliding layers and 4 on the full ones, FFNs of 21504
  add(gemma4("gemma-4-31b", 5376, 60, 32, 16, 4, 6, 1024, 262144));
  // Gemma 3n (Hugging Face's google/gemma-3n-E2B and -E4B configs): 2048 wide, heads of 256 (8 query, 2 KV),
  // a window of 512 keys on four layers of five (RoPE θ 10⁴ there, 10⁶ on the full ones), AltUp's four
  // streams, LAuReL of rank 64, per-layer inputs of 256, the first 10 layers' FFN gates sparse at the 95th
  // percentile, a final soft-cap of 30, tied embeddings of 262144 tokens. E2B: 30 layers, FFNs of 8192, the
  // last 10 reading layers 18's and 19's keys and values; E4B: 35 layers, FFNs of 16384, the last 15.
  auto gemma3n = [&](const char* name, uint32_t layers, uint32_t ff, uint32_t shared) {
    Shape g{name, "gemma3n", 2048, layers, 8, 2, ff, 262144, 32768, 1000000.0f, 1e-6f, true, false, 256};
    g.sliding_window = 512;
    g.final_softcap = 30.0f;
    for (uint32_t l = 0; l < layers; ++l) g.sliding_layers.push_back(l % 5 != 4);
    g.shared_kv_layers = shared;
    g.per_layer_embd = 256;
    g.altup_inputs = 4;
    g.laurel_rank = 64;
    g.sparse_layers = 10;
    return g;
  };
  add(gemma3n("gemma-3n-e2b", 30, 8192, 10));
  add(gemma3n("gemma-3n-e4b", 35, 16384, 15));
  // qwen35 with attention on layers 2 and 5 of six, delta nets of 2 key and 4 value heads of 32
  Shape qwen35_tiny{"test-tiny-qwen35", "qwen35", 128, 6, 4, 2, 256, 300, 128, 10000000.0f, 1e-6f, true, true, 64};
  qwen35_tiny.rope_dims = 16;
  qwen35_tiny.full_attention_interval = 3;
  qwen35_tiny.dn_k_heads = 2;
  qwen35_tiny.dn_v_heads = 4;
  qwen35_tiny.dn_head_dim = 32;
  qwen35_tiny.conv_kernel = 4;
  add(qwen35_tiny);
  // qwen35moe: the same layers, 4 experts of 64 (2 per token, softmax, renormalized) and a shared expert of 64
  // gated per token (Qwen3.5-35B-A3B's layout)
  qwen35_tiny.name = "test-tiny-qwen35moe";
  qwen35_tiny.arch = "qwen35moe";
  qwen35_tiny.n_expert = 4;
  qwen35_tiny.n_expert_used = 2;
  qwen35_tiny.n_ff_exp = 64;
  qwen35_tiny.n_expert_shared = 1;
  add(qwen35_tiny);
  // qwen3next: the mixture's layers with β and α in one matrix and value head h reading key head h / 2
  qwen35_tiny.name = "test-tiny-qwen3next";
  qwen35_tiny.arch = "qwen3next";
  add(qwen35_tiny);
  // kimi-linear: Kimi Delta Attention on layers 0 and 2 (4 heads of 32), latent attention without RoPE on 1
  // and 3 (deepseek2's test sizes: a latent of 64 with a "RoPE" key of 16), a dense first layer, 4 experts
  // of 64 (2 per token, sigmoid steered by a bias, scaled by 2.446 as Kimi's) and one shared
  Shape kimi_tiny{"test-tiny-kimi-linear", "kimi-linear", 128, 4, 4, 1, 256, 300, 128, 10000.0f, 1e-5f, false,
                  true, 80, 0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  kimi_tiny.attention_layers = {1, 3};
  kimi_tiny.rope_dims = 16;
  kimi_tiny.kv_rank = 64;
  kimi_tiny.qk_nope = 32;
  kimi_tiny.v_head = 48;
  kimi_tiny.dn_head_dim = 32;
  kimi_tiny.conv_kernel = 4;
  kimi_tiny.n_dense_lead = 1;
  kimi_tiny.n_expert_shared = 1;
  kimi_tiny.expert_weights_scale = 2.446f;
  add(kimi_tiny);
  // granitehybrid: Mamba-2 on layers 0, 1 and 3 (256 channels in 8 heads of 32, a state of 16, B and C in 2
  // groups, a convolution of 4 taps with a bias), attention without RoPE on layer 2, granite's multipliers
  // and a dense FFN; "-moe": 4 experts of 64 (2 per token) beside a shared expert of 64 (Granite 4.0-H
  // Tiny's layout)
  Shape gh{"test-tiny-granitehybrid", "granitehybrid", 128, 4, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true, true};
  gh.attention_layers = {2};
  gh.conv_kernel = 4;
  gh.ssm_inner = 256;
  gh.ssm_state = 16;
  gh.ssm_heads = 8;
  gh.ssm_groups = 2;
  gh.rope_off = true;
  gh.embedding_scale = 12.0f;
  gh.residual_scale = 0.22f;
  gh.attention_scale = 0.015625f;
  gh.logit_scale = 8.0f;
  add(gh);
  gh.name = "test-tiny-granitehybrid-moe";  // (with B and C in one group, its norm one [256, 1] table)
  gh.ssm_groups = 1;
  gh.n_expert = 4;
  gh.n_expert_used = 2;
  gh.n_ff_exp = 64;
  gh.n_expert_shared = 1;
  add(gh);
  // nemotron_h: Mamba-2 on layers 0, 2 and 5 (as granitehybrid's), attention on layer 3, ReLU² FFNs of 256 on
  // layers 1 and 4 (Nemotron-H's pattern "M-M*-M")
  Shape nh{"test-tiny-nemotron-h", "nemotron_h", 128, 6, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true};
  nh.attention_layers = {3};
  nh.ffn_layers = {1, 4};
  nh.conv_kernel = 4;
  nh.ssm_inner = 256;
  nh.ssm_state = 16;
  nh.ssm_heads = 8;
  nh.ssm_groups = 2;
  add(nh);
  // nemotron_h_moe: the same pattern with the FFN layers mixtures of 4 ReLU² experts of 64 (2 per token, sigmoid
  // plus a bias, renormalized, times 2.5) beside a shared ReLU² expert of 64 (Nemotron 3 Nano's layout)
  nh.name = "test-tiny-nemotron-h-moe";
  nh.arch = "nemotron_h_moe";
  nh.n_expert = 4;
  nh.n_expert_used = 2;
  nh.n_ff_exp = 64;
  nh.n_expert_shared = 1;
  nh.expert_weights_scale = 2.5f;
  add(nh);
  // mamba2: three Mamba-2 layers alone (256 channels in 8 heads of 32, a state of 16, B and C in 2 groups, 4
  // taps with a bias), tied embeddings
  Shape mamba2_tiny{"test-tiny-mamba2", "mamba2", 128, 3, 0, 0, 0, 300, 128, 10000.0f, 1e-5f, true, true};
  mamba2_tiny.conv_kernel = 4;
  mamba2_tiny.ssm_inner = 256;
  mamba2_tiny.ssm_state = 16;
  mamba2_tiny.ssm_heads = 8;
  mamba2_tiny.ssm_groups = 2;
  add(mamba2_tiny);
  // mamba: three Mamba-1 layers (256 channels, a state of 16 each, dt through a rank of 8, 4 taps with a
  // bias), the output not tied; "falcon-mamba" with dt, B and C RMS-normalized
  Shape mamba_tiny{"test-tiny-mamba", "mamba", 128, 3, 0, 0, 0, 300, 128, 10000.0f, 1e-5f, false, true};
  mamba_tiny.conv_kernel = 4;
  mamba_tiny.ssm_inner = 256;
  mamba_tiny.ssm_state = 16;
  mamba_tiny.ssm_dt_rank = 8;
  add(mamba_tiny);
  mamba_tiny.name = "test-tiny-falcon-mamba";
  mamba_tiny.dt_b_c_rms = true;
  add(mamba_tiny);
  // jamba: Mamba-1 on layers 0, 1 and 3 (256 channels, a state of 16, dt through a rank of 8, its dt, B and
  // C norms with gains, a convolution of 4 taps with a bias), attention without RoPE on layer 2; 4 experts of
  // 256 (2 per token) on layers 1 and 3, dense SwiGLUs on 0 and 2 (Jamba's layout, at a period of 2)
  Shape jamba_tiny{"test-tiny-jamba", "jamba", 128, 4, 4, 2, 256, 300, 128, 10000.0f, 1e-6f, false, true};
  jamba_tiny.attention_layers = {2};
  jamba_tiny.conv_kernel = 4;
  jamba_tiny.ssm_inner = 256;
  jamba_tiny.ssm_state = 16;
  jamba_tiny.ssm_dt_rank = 8;
  jamba_tiny.n_expert = 4;
  jamba_tiny.n_expert_used = 2;
  jamba_tiny.moe_step = 2;
  add(jamba_tiny);
  jamba_tiny.name = "test-tiny-jamba-dense";  // (every FFN dense, as a Jamba without experts)
  jamba_tiny.n_expert = jamba_tiny.n_expert_used = jamba_tiny.moe_step = 0;
  add(jamba_tiny);
  // falcon-h1 as llama.cpp's converter writes it: Mamba-2 (256 channels in 8 heads of 32, a state of 16, B
  // and C in 2 groups, 4 taps with a bias) beside attention (heads of 64: q 256 wide against n_embd 128, NeoX
  // pairs) in each of 3 layers, no rope.dimension_count, the FFN norm without ".weight"; without the
  // Mamba-2 norm (mamba_rms_norm false), and "-norm" with it
  Shape fh{"test-tiny-falcon-h1", "falcon-h1", 128, 3, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true, 64};
  fh.conv_kernel = 4;
  fh.ssm_inner = 256;
  fh.ssm_state = 16;
  fh.ssm_heads = 8;
  fh.ssm_groups = 2;
  fh.ssm_norm = false;
  add(fh);
  fh.name = "test-tiny-falcon-h1-norm";
  fh.ssm_norm = true;
  add(fh);
  // lfm2 with attention on layers 2 and 4 of five; lfm2moe with attention on layers 1 and 3 of four, a dense
  // first layer, then 4 experts of 64 (2 per token) chosen by sigmoid plus a bias (LFM2-8B-A1B's layout)
  Shape lfm2_tiny{"test-tiny-lfm2", "lfm2", 128, 5, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, true, true};
  lfm2_tiny.attention_layers = {2, 4};
  add(lfm2_tiny);
  lfm2_tiny.name = "test-tiny-lfm2-swa";  // (every attention layer sees the last 4 keys)
  lfm2_tiny.sliding_window = 4;
  add(lfm2_tiny);
  // gptneox: parallel attention and FFN from their own LayerNorms, fused q|k|v, RoPE on 8 of 32; phi2: the
  // same from one norm, q|k|v packed, a biased classifier; command-r: llama's sublayers in parallel from one
  // LayerNorm without biases, scaled logits; cohere2: that with windows of 4 keys on three layers of four
  Shape neox{"test-tiny-gptneox", "gptneox", 128, 2, 4, 4, 512, 300, 128, 10000.0f, 1e-5f, false, true};
  neox.rope_dims = 8;
  add(neox);
  Shape phi2_tiny{"test-tiny-phi2", "phi2", 128, 2, 4, 4, 512, 300, 128, 10000.0f, 1e-5f, false, true};
  phi2_tiny.rope_dims = 12;
  add(phi2_tiny);
  Shape command_r{"test-tiny-command-r", "command-r", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, true, true};
  command_r.logit_scale = 0.0625f;
  add(command_r);
  // command-r-plus: that with Command R+'s per-head LayerNorms of q and k, each head its own gains (logits
  // times 0.25: the normalized heads' smaller scores leave them flatter)
  command_r.name = "test-tiny-command-r-plus";
  command_r.qk_norm = true;
  command_r.logit_scale = 0.25f;
  add(command_r);
  Shape cohere2{"test-tiny-cohere2", "cohere2", 128, 4, 4, 2, 256, 300, 128, 50000.0f, 1e-5f, true, true};
  cohere2.sliding_window = 4;
  cohere2.logit_scale = 0.25f;
  add(cohere2);
  // gemma4: sliding layers 0, 1, 3 (heads of 32, two KV heads) and full layers 2, 4 (heads of 64, one KV
  // head, RoPE on 8 of its 32 pairs, no attn_v: V = K); layers 3 and 4 read layers 1's and 2's keys and
  // values with FFNs twice as wide; per-layer inputs of 16; the final soft-cap left to its default
  Shape g4{"test-tiny-gemma4", "gemma4", 128, 5, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true, true, 64};
  g4.sliding_window = 4;
  g4.sliding_layers = {1, 1, 0, 1, 0};
  g4.layer_kv_heads = {2, 2, 1, 2, 1};
  g4.layer_ff = {256, 256, 256, 512, 512};
  g4.key_length_swa = 32;
  g4.rope_dims_swa = 32;
  g4.rope_pairs_full = 8;
  g4.shared_kv_layers = 2;
  g4.per_layer_embd = 16;
  g4.k_eq_v = true;
  add(g4);
  // gemma3n: sliding layers 0, 2, 4 (a window of 4 keys) and full layers 1, 3, 5; layers 4 and 5 read layers
  // 2's and 3's keys and values; the first two layers' FFN gates sparse; four AltUp streams, LAuReL of rank 32,
  // per-layer inputs of 16; the final soft-cap and the sliding layers' RoPE base left to their defaults
  Shape g3n{"test-tiny-gemma3n", "gemma3n", 128, 6, 4, 2, 256, 300, 128, 1000000.0f, 1e-6f, true, true};
  g3n.sliding_window = 4;
  g3n.sliding_layers = {1, 0, 1, 0, 1, 0};
  g3n.shared_kv_layers = 2;
  g3n.per_layer_embd = 16;
  g3n.altup_inputs = 4;
  g3n.laurel_rank = 32;
  g3n.sparse_layers = 2;
  add(g3n);
  // gemma4's mixture (26B-A4B's layout): a sliding and a full layer, 4 experts of 64 (2 per token) beside a
  // dense FFN of 128
  Shape g4moe{"test-tiny-gemma4-moe", "gemma4", 128, 2, 4, 2, 128, 300, 128, 1000000.0f, 1e-6f, true, true, 64,
              0.0f, 8192, 4, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  g4moe.sliding_layers = {1, 0};
  g4moe.layer_kv_heads = {2, 1};
  g4moe.key_length_swa = 32;
  g4moe.rope_dims_swa = 32;
  g4moe.rope_pairs_full = 8;
  g4moe.k_eq_v = true;
  add(g4moe);
  // gemma (Gemma 1): scaled embeddings, GeGLU, NeoX pairs; exaone: llama's layers with NeoX pairs; exaone4:
  // norms after the sublayers only with per-head q and k norms, and (64 layers, as the 32B) windows of 4 keys
  // on three layers of four, the fourth without RoPE
  add({"test-tiny-gemma", "gemma", 128, 2, 4, 1, 256, 300, 128, 10000.0f, 1e-6f, true, true, 64});
  // starcoder2: LayerNorms, biased q, k, v, output and GELU FFN in sequence, NeoX RoPE over whole heads;
  // stablelm: LayerNorms, q, k and v with biases, RoPE on 8 of each head's 32 (NeoX pairs), SwiGLU;
  // internlm2: llama's layers
  add({"test-tiny-starcoder2", "starcoder2", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, true, true});
  Shape stablelm_tiny{"test-tiny-stablelm", "stablelm", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-5f, false, true};
  stablelm_tiny.rope_dims = 8;
  add(stablelm_tiny);
  // olmo (OLMo 1): llama's layers with LayerNorms that have no parameters, tied; test-tiny-olmo-clip with
  // q, k and v clamped to ±0.5 (the tiny weights' projections reach past it) and an output.weight
  add({"test-tiny-olmo", "olmo", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-5f, true, true});
  Shape olmo_clip{"test-tiny-olmo-clip", "olmo", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-5f, false, true};
  olmo_clip.clamp_kqv = 0.5f;
  add(olmo_clip);
  // starcoder: gpt2's block (learned positions, LayerNorms, biased fused q|k|v, output and GELU FFN) over one
  // KV head, tied embeddings; test-tiny-starcoder-untied with an output.weight of its own
  add({"test-tiny-starcoder", "starcoder", 128, 2, 4, 1, 512, 300, 128, 10000.0f, 1e-5f, true, true});
  add({"test-tiny-starcoder-untied", "starcoder", 128, 2, 4, 1, 512, 300, 128, 10000.0f, 1e-5f, false, true});
  // bloom: the embeddings LayerNorm'd, then starcoder's block with a KV head per q head and ALiBi (12 heads:
  // not a power of two, so that the slopes past the 8th, m1's odd powers, are run too), tied embeddings
  // mpt: BLOOM's block without the embeddings' norm or any bias, ALiBi over 8 heads, tied; test-tiny-mpt-clip
  // with q, k and v clamped to ±0.5 (MPT's clip_qkv: the tiny projections reach past it)
  add({"test-tiny-mpt", "mpt", 128, 2, 8, 8, 512, 300, 128, 10000.0f, 1e-5f, true, true});
  Shape mpt_clip{"test-tiny-mpt-clip", "mpt", 128, 2, 8, 8, 512, 300, 128, 10000.0f, 1e-5f, true, true};
  mpt_clip.clamp_kqv = 0.5f;
  add(mpt_clip);
  add({"test-tiny-bloom", "bloom", 192, 2, 12, 12, 768, 300, 128, 10000.0f, 1e-5f, true, true});
  // stablelm-12b-style: StableLM 2 12B's layers (per-head LayerNorms of q and k with gains per head, no q, k,
  // v biases, the FFN in parallel from the attention norm), 4 heads over 2 KV heads
  Shape stablelm12_tiny{"test-tiny-stablelm-12b-style", "stablelm", 128, 2, 4, 2, 256, 300, 128, 10000.0f,
                        1e-5f, false, true};
  stablelm12_tiny.rope_dims = 8;
  stablelm12_tiny.qk_norm = true;
  add(stablelm12_tiny);
  add({"test-tiny-internlm2", "internlm2", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, false, true});
  // baichuan: llama's layers, with the 7B's 32 layers (llama.cpp turns only a 32-layer baichuan with RoPE; the
  // 13B's 40 run ALiBi: test-tiny-baichuan13 below) and no grouped heads, as Baichuan's; orion: LayerNorms with biases, NeoX
  // pairs; xverse: llama's layers
  add({"test-tiny-baichuan", "baichuan", 64, 32, 4, 4, 128, 300, 128, 10000.0f, 1e-6f, false, true});
  // Baichuan 13B: the same layers, 40 of them (llama.cpp's sign for ALiBi instead of RoPE), over 6 heads (not
  // a power of two, as Baichuan2 13B's 40: m1's slopes run too) 16 wide
  add({"test-tiny-baichuan13", "baichuan", 96, 40, 6, 6, 128, 300, 128, 10000.0f, 1e-6f, false, true});
  add({"test-tiny-orion", "orion", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-5f, false, true});
  add({"test-tiny-xverse", "xverse", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-6f, false, true});
  // chatglm: q|k|v packed with biases over 2 KV heads, RoPE on 16 of each head's 32 (adjacent pairs), gate|up
  // packed in ffn_up; qwen: q|k|v packed with biases, every head its own keys, NeoX RoPE over whole heads
  Shape chatglm_tiny{"test-tiny-chatglm", "chatglm", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true};
  chatglm_tiny.rope_dims = 16;
  add(chatglm_tiny);
  add({"test-tiny-qwen", "qwen", 128, 2, 4, 4, 256, 300, 128, 10000.0f, 1e-6f, false, true});
  // falcon: Falcon-7B's block (one LayerNorm, attention from one KV head and the GELU FFN in parallel, fused
  // q|k|v without biases, NeoX RoPE over whole heads, tied embeddings); falcon-40b: two norms (attn_norm_2
  // attention's, attn_norm the FFN's) and two KV heads; nemotron: LayerNorms, grouped attention with RoPE on
  // 16 of each head's 32 (NeoX pairs), an ungated ReLU² FFN, in sequence
  add({"test-tiny-falcon", "falcon", 128, 2, 4, 1, 512, 300, 128, 10000.0f, 1e-5f, true, true});
  // (Falcon-7B's grouping: 71 query heads over one KV head, here of 32)
  add({"test-falcon-71-heads", "falcon", 2272, 2, 71, 1, 256, 300, 128, 10000.0f, 1e-5f, true, true});
  Shape falcon_tiny{"test-tiny-falcon-40b", "falcon", 128, 2, 4, 2, 512, 300, 128, 10000.0f, 1e-5f, false, true};
  falcon_tiny.attn_norm_2 = true;
  add(falcon_tiny);
  Shape nemotron_tiny{"test-tiny-nemotron", "nemotron", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false,
                      true};
  nemotron_tiny.rope_dims = 16;
  add(nemotron_tiny);
  // deci: every kind of layer a Llama-Nemotron has: attention over 2 KV heads (0), no attention (1, 5),
  // attention replaced by one matrix (2), attention over 1 KV head without an FFN (3; Hugging Face's
  // no-op FFN), attention over 4 (6), no attention and no FFN (5: Ultra's empty layers); FFNs of 128 to
  // 320; Llama 3's RoPE scaling over an original context of 32, so that the factors differ between pairs
  Shape deci_tiny{"test-tiny-deci", "deci", 128, 7, 4, 4, 320, 300, 128, 10000.0f, 1e-5f, false, true};
  deci_tiny.rope_scaling_factor = 8.0f;
  deci_tiny.rope_original_ctx = 32;
  deci_tiny.layer_heads = {4, 0, 4, 4, 4, 0, 4};
  deci_tiny.layer_kv_heads = {2, 0, 0, 1, 4, 0, 2};
  deci_tiny.layer_ff = {256, 192, 320, 0, 128, 0, 256};
  add(deci_tiny);
  // apertus: per-head q and k norms before RoPE (NeoX pairs), an ungated FFN with each layer's xIELU
  add({"test-tiny-apertus", "apertus", 128, 3, 4, 2, 256, 300, 128, 12000000.0f, 1e-5f, false, true});
  add({"test-tiny-arcee", "arcee", 128, 2, 4, 2, 256, 300, 128, 10000.0f, 1e-5f, false, true});  // (ReLU²)
  add({"test-tiny-exaone", "exaone", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, false, true});
  add({"test-tiny-exaone4", "exaone4", 128, 2, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, true, true});
  Shape exaone4_swa{"test-tiny-exaone4-swa", "exaone4", 64, 64, 4, 2, 128, 300, 128, 1000000.0f, 1e-5f, true, true};
  exaone4_swa.sliding_window = 4;
  add(exaone4_swa);
  // exaone-moe (K-EXAONE): EXAONE 4.0's per-head q and k norms with the usual pre-norms, windows of 4 keys on
  // the layers the file's per-layer pattern marks (layers 0, 2 and 3: not EXAONE's three of four, so that the
  // pattern is read; only they turn q and k), a dense first layer, 4 experts of 64 (2 per token) and a shared
  // one, a sigmoid router with a bias (no gating key, as its converter writes none), weights renormalized and
  // scaled by 2.5, and a multi-token-prediction layer after the 5
  Shape exaone_moe{"test-tiny-exaone-moe", "exaone-moe", 128, 5, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, false,
                   true, 32, 0.0f, 8192, 4, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  exaone_moe.sliding_layers = {1, 0, 1, 1, 0};
  exaone_moe.n_dense_lead = 1;
  exaone_moe.n_expert_shared = 1;
  exaone_moe.n_nextn = 1;
  exaone_moe.expert_weights_scale = 2.5f;
  add(exaone_moe);
  // cohere2moe (North): Cohere2's parallel block (LayerNorms without biases, scaled logits) with windows of 4
  // keys on the layers the file's pattern marks (0, 1 and 3; only they turn q and k, adjacent pairs), a dense
  // first layer, then 4 experts of 64 (2 per token) by a sigmoid router without a bias, renormalized
  Shape cohere2moe{"test-tiny-cohere2moe", "cohere2moe", 128, 4, 4, 2, 256, 300, 128, 50000.0f, 1e-5f, false,
                   true, 32, 0.0f, 8192, 4, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  cohere2moe.sliding_layers = {1, 1, 0, 1};
  cohere2moe.n_dense_lead = 1;
  cohere2moe.logit_scale = 0.25f;
  cohere2moe.expert_gating_func = 0;  // (no key; no selection bias)
  add(cohere2moe);
  // the same with Command A+'s shared experts: two of 64 (one SwiGLU 128 wide), averaged with the routed sum
  Shape cohere2moe_shared = cohere2moe;
  cohere2moe_shared.name = "test-tiny-cohere2moe-shared";
  cohere2moe_shared.n_expert_shared = 2;
  add(cohere2moe_shared);
  // and North's shape in a file with an RMS epsilon (no LayerNorm one): RMSNorms everywhere, as llama.cpp
  Shape cohere2moe_rms = cohere2moe;
  cohere2moe_rms.name = "test-tiny-cohere2moe-rms";
  cohere2moe_rms.rms_norms = true;
  add(cohere2moe_rms);
  Shape lfm2moe{"test-tiny-lfm2moe", "lfm2moe", 128, 4, 4, 2, 256, 300, 128, 1000000.0f, 1e-5f, true, true, 0,
                0.0f, 8192, 0, 0.0f, 0.0f, 0.0f, 4, 2, 64};
  lfm2moe.attention_layers = {1, 3};
  lfm2moe.n_dense_lead = 1;
  add(lfm2moe);
  // clang-format on
  return s;
}

// splitmix64: a tiny, well-mixed generator; one per row, seeded from (seed, tensor, row).
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1p-53; }  // (0, 1)
};

uint64_t row_seed(uint64_t seed, uint64_t tensor, uint64_t row) {
  Rng r{seed};
  const uint64_t a = r.next() ^ (tensor * 0xD1B54A32D192ED03ull);
  Rng t{a};
  return t.next() ^ (row * 0x8CB92BA72F3D8DD7ull);
}

// Fills x[n] with N(0, stddev) (Box-Muller).
void normal_row(uint64_t seed, float stddev, float* x, uint64_t n) {
  Rng rng{seed};
  for (uint64_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(rng.uniform()));
    const double a = 2.0 * std::numbers::pi * rng.uniform();
    x[i] = static_cast<float>(stddev * r * std::cos(a));
    if (i + 1 < n) x[i + 1] = static_cast<float>(stddev * r * std::sin(a));
  }
}

// llama.cpp's general.file_type (enum llama_ftype) for a file whose weights are mostly `type`.
uint32_t file_type(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return 0;
    case GgmlType::F16:
      return 1;
    case GgmlType::Q4_0:
      return 2;
    case GgmlType::Q4_1:
      return 3;
    case GgmlType::Q8_0:
      return 7;
    case GgmlType::Q5_0:
      return 8;
    case GgmlType::Q5_1:
      return 9;
    case GgmlType::Q2_K:
      return 10;
    case GgmlType::Q3_K:
      return 11;  // Q3_K_S: every weight q3_K
    case GgmlType::Q4_K:
      return 14;  // Q4_K_S
    case GgmlType::Q5_K:
      return 16;  // Q5_K_S
    case GgmlType::Q6_K:
      return 18;
    case GgmlType::IQ4_NL:
      return 25;  // LLAMA_FTYPE_MOSTLY_IQ4_NL
    case GgmlType::IQ4_XS:
      return 30;  // LLAMA_FTYPE_MOSTLY_IQ4_XS
    case GgmlType::IQ2_XXS:
      return 19;  // LLAMA_FTYPE_MOSTLY_IQ2_XXS
    case GgmlType::IQ2_XS:
      return 20;
    case GgmlType::IQ3_XXS:
      return 23;
    case GgmlType::IQ1_S:
      return 24;
    case GgmlType::IQ3_S:
      return 26;
    case GgmlType::IQ2_S:
      return 28;
    case GgmlType::IQ1_M:
      return 31;
    case GgmlType::TQ1_0:
      return 36;
    case GgmlType::TQ2_0:
      return 37;
    case GgmlType::BF16:
      return 32;
    case GgmlType::MXFP4:
      return 38;  // LLAMA_FTYPE_MOSTLY_MXFP4_MOE
    default:
      throw std::invalid_argument("synth cannot write weights of type " + gguf::ggml_type_name(type));
  }
}

void validate(const Shape& s) {
  auto fail = [&](const std::string& why) { throw std::invalid_argument("shape " + s.name + ": " + why); };
  if (!can_write_architecture(s.arch))
    fail("architecture must be " + architecture_list() + ", not '" + s.arch + "'");
  if (s.n_dense_lead > s.n_layer) fail("more leading dense layers than layers");
  if (s.expert_groups &&
      (s.n_expert % s.expert_groups || !s.expert_groups_used || s.expert_groups_used > s.expert_groups))
    fail("the expert groups must divide the experts, and between 1 and all of them be used");
  if (s.n_expert && (!s.n_expert_used || s.n_expert_used > s.n_expert))
    fail("experts used per token must be between 1 and the expert count");
  if (s.pure_ssm()) {  // (no attention, no FFN: their sizes 0)
    if (!s.n_embd || !s.n_layer || !s.n_ctx || s.n_head || s.n_head_kv || s.n_ff || !s.ssm_inner ||
        !s.ssm_state || s.conv_kernel < 2)
      fail(s.arch + " needs its state-space sizes, and no heads or FFN");
    if (s.arch == "mamba2" && (!s.ssm_heads || !s.ssm_groups || s.ssm_inner % s.ssm_heads ||
                               s.ssm_heads % s.ssm_groups || s.ssm_dt_rank))
      fail("mamba2 needs Mamba-2 sizes (heads dividing the channels, groups the heads)");
    if (s.arch == "mamba" && (!s.ssm_dt_rank || s.ssm_heads || s.ssm_groups))
      fail("mamba needs Mamba-1 sizes (a dt rank, no heads or groups)");
    if (s.n_vocab < 260) fail("the vocabulary needs at least 260 tokens");
    return;
  }
  if (!s.n_embd || !s.n_layer || !s.n_head || !s.n_head_kv || !s.n_ff || !s.n_ctx)
    fail("a dimension is zero");
  if (!s.key_length && s.n_embd % s.n_head) fail("n_embd is not a multiple of the head count");
  if (s.n_head % s.n_head_kv) fail("the head count is not a multiple of the KV head count");
  if (s.head_dim() % 2) fail("the head dimension must be even for RoPE");
  if (s.n_vocab < 260) fail("the vocabulary needs at least 260 tokens");
  const bool lfm2 = s.arch == "lfm2" || s.arch == "lfm2moe";
  const bool mamba = s.arch == "granitehybrid" || s.arch.rfind("nemotron_h", 0) == 0;
  const bool kimi = s.arch == "kimi-linear";
  const bool jamba = s.arch == "jamba";
  if (!s.attention_layers.empty() && !lfm2 && !mamba && !kimi && !jamba)
    fail(
        "only lfm2, lfm2moe, granitehybrid, nemotron_h(_moe), kimi-linear and jamba have layers without "
        "attention");
  if (jamba && (s.attention_layers.empty() || s.attention_layers.size() == s.n_layer || !s.ssm_inner ||
                !s.ssm_state || !s.ssm_dt_rank || s.conv_kernel < 2 || s.ssm_heads || s.ssm_groups))
    fail(
        "jamba needs attention layers and Mamba-1 layers (a cut by --layers must keep one of each) and "
        "Mamba-1 sizes (a dt rank, no heads or groups)");
  if (kimi && (s.attention_layers.empty() || !s.kv_rank || !s.dn_head_dim || s.conv_kernel < 2 ||
               s.attention_layers.size() == s.n_layer))
    fail(
        "kimi-linear needs latent-attention layers and Kimi Delta Attention layers (a cut by --layers must "
        "keep one of each) of dn_head_dim");
  if (mamba && (s.attention_layers.empty() || !s.ssm_heads || !s.ssm_groups || !s.ssm_state ||
                s.ssm_inner % s.ssm_heads || s.ssm_heads % s.ssm_groups || s.conv_kernel < 2))
    fail(s.arch +
         " needs attention layers (a cut by --layers must keep one) and Mamba-2 sizes (heads dividing the "
         "channels, groups the heads)");
  if (s.arch == "falcon-h1" &&
      (!s.attention_layers.empty() || !s.ssm_heads || !s.ssm_groups || !s.ssm_state ||
       s.ssm_inner % s.ssm_heads || s.ssm_heads % s.ssm_groups || s.conv_kernel < 2))
    fail(
        "falcon-h1 attends in every layer and needs Mamba-2 sizes (heads dividing the channels, groups the "
        "heads)");
  for (uint32_t l : s.attention_layers)
    if (l >= s.n_layer) fail("attention layer " + std::to_string(l) + " is past the last layer");
  if ((s.arch == "deci") != !s.layer_heads.empty() ||
      (!s.layer_heads.empty() && (s.layer_heads.size() != s.n_layer || s.layer_kv_heads.size() != s.n_layer ||
                                  s.layer_ff.size() != s.n_layer ||
                                  std::any_of(s.layer_heads.begin(), s.layer_heads.end(),
                                              [&](uint32_t h) { return h && h != s.n_head; }))))
    fail("deci needs per-layer head counts (n_head or 0), KV head counts and FFN widths for every layer");
  if (lfm2 && (s.attention_layers.empty() || s.conv_kernel < 2)) fail("lfm2 needs attention layers and taps");
  if ((s.arch.rfind("qwen35", 0) == 0 || s.arch == "qwen3next") != (s.full_attention_interval > 0) ||
      (s.full_attention_interval &&
       (!s.dn_k_heads || !s.dn_head_dim || s.dn_v_heads % s.dn_k_heads || s.conv_kernel < 2)))
    fail(
        "qwen35 needs its full_attention_interval and delta-net heads (value heads a multiple of key heads)");
}

// ExpertBias: GLM-4.5's exp_probs_b, N(0, 0.3), so that it changes which experts a sigmoid router chooses
// (also Qwen2-MoE's shared-expert gate vector: its gate then ranges over σ's slope)
// ConvTaps: a short convolution's taps, N(0, 0.5)
// SsmA: a delta net's A per head, −exp(N(0, 0.5)); DtBias: its decay bias, N(0, 1)
// QkGain: Gemma 4's q and k norm gains, HeadNorm's over the fourth root of the head width, so that q·k (its
// scores are not scaled by 1/√d: the trained gains do that) has the spread of other models' scores rather
// than a nearly one-hot softmax that amplifies rounding
enum class Kind {
  Weight,
  Norm,
  HeadNorm,
  Bias,
  RopeFreqs,
  Router,
  Sink,
  ExpertBias,
  ConvTaps,
  SsmA,
  DtBias,
  QkGain,
  AltUpRouter,  // Gemma 3n's AltUp router: N(0, 0.5·√row), for it reads RMSNorm(x) / n_embd
  AltUpCoef     // Gemma 3n's prediction and correction coefficients: N(0, 0.3), F32
};
// (SsmA, DtBias and HeadNorm fill every row of a 2-D tensor: Mamba-2's A, D and norm gains)

struct TensorSpec {
  std::string name;
  Kind kind;
  uint64_t row;          // dims[0]
  uint64_t rows;         // dims[1] (1 for vectors); all rows of a 3-D tensor
  uint64_t experts = 0;  // dims[2] of a 3-D tensor (rows / experts per expert)
};

std::vector<TensorSpec> tensor_list(const Shape& s) {
  const uint64_t e = s.n_embd, q = uint64_t{s.n_head} * s.head_dim(),
                 kv = uint64_t{s.n_head_kv} * s.head_dim();
  std::vector<TensorSpec> t;
  t.push_back({"token_embd.weight", Kind::Weight, e, s.n_vocab});
  // (StarCoder: a learned embedding per position of its context, added to the token's)
  if (s.arch == "starcoder") t.push_back({"position_embd.weight", Kind::Weight, e, s.n_ctx});
  if (s.arch == "bloom") {  // (BLOOM: the embeddings' LayerNorm, gains 1 + N(0, 0.25) so that they show)
    t.push_back({"token_embd_norm.weight", Kind::HeadNorm, e, 1});
    t.push_back({"token_embd_norm.bias", Kind::Bias, e, 1});
  }
  for (uint32_t l = 0; l < s.n_layer + s.n_nextn; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    const bool olmo2 = s.arch == "olmo2";  // norms after the sublayers only; q and k normalized whole
    // GPT-NeoX, Phi-2: LayerNorms with biases (gains 1 + N(0, 0.25), so that each norm's own shows), fused or
    // packed q|k|v with biases, biased ungated FFNs; Command-R, Cohere2: LayerNorms without biases. Phi-2,
    // Command-R and Cohere2 have no FFN norm (their parallel FFN reads the attention norm's output).
    const bool neox = s.arch == "gptneox", phi2 = s.arch == "phi2",
               cohere = s.arch == "command-r" || s.arch == "cohere2" || s.arch == "cohere2moe";
    // StarCoder2, StableLM: LayerNorms with biases (as GPT-NeoX's), q, k and v apart with biases, in
    // sequence; StarCoder2's output projection and ungated GELU FFN biased too
    const bool starcoder2 = s.arch == "starcoder2", stablelm = s.arch == "stablelm";
    // Falcon: LayerNorms with biases, a second (attn_norm_2) where attn_norm_2; Nemotron: LayerNorms with
    // biases, no other biases (as Minitron's and Nemotron-4's)
    const bool falcon = s.arch == "falcon", nemotron4 = s.arch == "nemotron";
    // StarCoder: gpt2's block, every norm and projection biased, q|k|v fused (all q heads, then k, then v)
    // (BLOOM's layers are StarCoder's tensors with a KV head per q head, and no positions)
    const bool starcoder = s.arch == "starcoder" || s.arch == "bloom";
    // MPT: BLOOM's layers without a bias anywhere (no_bias): LayerNorm gains, q|k|v fused, an ungated FFN
    const bool mpt = s.arch == "mpt";
    // ChatGLM (chatglm): q|k|v packed with biases, gate|up packed; Qwen (1): q|k|v packed with biases
    const bool chatglm = s.arch == "chatglm", qwen1 = s.arch == "qwen";
    // StableLM 2 12B, Command R+: per-head LayerNorms of q and k, gains per head; StableLM 2 12B's q, k and v
    // without biases, its FFN in parallel (no ffn_norm)
    const bool qk_layer_norm = (stablelm || s.arch == "command-r") && s.qk_norm;
    const bool stablelm_12b = stablelm && s.qk_norm;
    // Phi-3.5-MoE: norms with biases (gains 1 + N(0, 0.25)), q, k, v and output projections with biases
    const bool phimoe = s.arch == "phimoe";
    // Orion: LayerNorms with biases, llama's layers otherwise
    const bool orion = s.arch == "orion";
    const bool norm_bias =
        neox || phi2 || starcoder2 || stablelm || falcon || nemotron4 || phimoe || orion || starcoder;
    const bool layer_norm = norm_bias || cohere || mpt;
    // (Falcon-H1: gains 1 + N(0, 0.25) too, so that a sublayer reading the other norm's output shows)
    const bool falcon_h1 = s.arch == "falcon-h1";
    const Kind norm = layer_norm || falcon_h1 ? Kind::HeadNorm : Kind::Norm;
    const bool exaone4 = s.arch == "exaone4";  // (as olmo2's norms, per-head q and k norms)
    // (deci: no norm where a layer has no attention)
    // (OLMo 1: no norm has parameters)
    const bool olmo1 = s.arch == "olmo";
    if (!olmo2 && !exaone4 && !olmo1 && !s.no_attention(l)) t.push_back({p + "attn_norm.weight", norm, e, 1});
    if (norm_bias) t.push_back({p + "attn_norm.bias", Kind::Bias, e, 1});
    if (falcon && s.attn_norm_2) {
      t.push_back({p + "attn_norm_2.weight", norm, e, 1});
      t.push_back({p + "attn_norm_2.bias", Kind::Bias, e, 1});
    }
    const bool lfm2 = s.arch == "lfm2" || s.arch == "lfm2moe";
    const bool qwen35 = s.arch.rfind("qwen35", 0) == 0 || s.arch == "qwen3next";  // (Qwen3-Next's layers too)
    const bool nemotron = s.arch.rfind("nemotron_h", 0) == 0;                     // (and nemotron_h_moe)
    const auto mamba2 = [&] {  // (ssm_a and ssm_d without ".weight", as llama.cpp's converter writes them)
      const uint64_t conv = uint64_t{s.ssm_inner} + 2ull * s.ssm_groups * s.ssm_state;
      t.push_back({p + "ssm_in.weight", Kind::Weight, e, s.ssm_inner + conv + s.ssm_heads});
      t.push_back({p + "ssm_conv1d.weight", Kind::ConvTaps, s.conv_kernel, conv});
      t.push_back({p + "ssm_conv1d.bias", Kind::Bias, conv, 1});
      t.push_back({p + "ssm_dt.bias", Kind::DtBias, s.ssm_heads, 1});
      t.push_back({p + "ssm_a", Kind::SsmA, 1, s.ssm_heads});
      t.push_back({p + "ssm_d", Kind::HeadNorm, 1, s.ssm_heads});
      if (s.ssm_norm)
        t.push_back({p + "ssm_norm.weight", Kind::HeadNorm, s.ssm_inner / s.ssm_groups, s.ssm_groups});
      t.push_back({p + "ssm_out.weight", Kind::Weight, s.ssm_inner, e});
    };
    if (s.arch == "mamba2") {  // (a layer is its norm and its mixer)
      mamba2();
      continue;
    }
    const auto mamba1 = [&] {  // Mamba-1, as llama.cpp's converter writes it (ssm_a = -exp(A_log))
      const uint64_t di = s.ssm_inner;
      t.push_back({p + "ssm_in.weight", Kind::Weight, e, 2 * di});
      t.push_back({p + "ssm_conv1d.weight", Kind::ConvTaps, s.conv_kernel, di});
      t.push_back({p + "ssm_conv1d.bias", Kind::Bias, di, 1});
      t.push_back({p + "ssm_x.weight", Kind::Weight, di, uint64_t{s.ssm_dt_rank} + 2ull * s.ssm_state});
      t.push_back({p + "ssm_dt.weight", Kind::Weight, s.ssm_dt_rank, di});
      t.push_back({p + "ssm_dt.bias", Kind::DtBias, di, 1});
      t.push_back({p + "ssm_a", Kind::SsmA, s.ssm_state, di});
      t.push_back({p + "ssm_d", Kind::HeadNorm, di, 1});
      t.push_back({p + "ssm_out.weight", Kind::Weight, di, e});
      if (s.arch == "jamba") {  // (its dt, B and C norms' gains, 1 + N(0, 0.25) so that they show)
        t.push_back({p + "ssm_dt_norm.weight", Kind::HeadNorm, s.ssm_dt_rank, 1});
        t.push_back({p + "ssm_b_norm.weight", Kind::HeadNorm, s.ssm_state, 1});
        t.push_back({p + "ssm_c_norm.weight", Kind::HeadNorm, s.ssm_state, 1});
      }
    };
    if (s.arch == "mamba") {  // (a layer is its norm and its mixer)
      mamba1();
      continue;
    }
    if (falcon_h1) mamba2();  // (beside the attention below)
    const bool deci = s.arch == "deci";
    if (nemotron && s.ffn_layer(l)) {
      // (an FFN layer: its tensors below)
    } else if (deci) {  // the layer's own KV heads; none where it has no attention or a linear one
      if (s.attends(l)) {
        t.push_back({p + "attn_q.weight", Kind::Weight, e, q});
        t.push_back({p + "attn_k.weight", Kind::Weight, e, uint64_t{s.layer_kv(l)} * s.head_dim()});
        t.push_back({p + "attn_v.weight", Kind::Weight, e, uint64_t{s.layer_kv(l)} * s.head_dim()});
      }
    } else if ((s.arch == "granitehybrid" || nemotron) && !s.attends(l)) {  // a Mamba-2 layer
      mamba2();
    } else if (s.arch == "jamba" && !s.attends(l)) {  // a Mamba-1 layer
      mamba1();
    } else if (qwen35 && !s.attends(l)) {  // a gated delta-net layer (Qwen3.5)
      const uint64_t key = uint64_t{s.dn_k_heads} * s.dn_head_dim,
                     value = uint64_t{s.dn_v_heads} * s.dn_head_dim;
      t.push_back({p + "attn_qkv.weight", Kind::Weight, e, 2 * key + value});
      t.push_back({p + "attn_gate.weight", Kind::Weight, e, value});
      t.push_back({p + "ssm_conv1d.weight", Kind::ConvTaps, s.conv_kernel, 2 * key + value});
      t.push_back({p + "ssm_dt.bias", Kind::DtBias, s.dn_v_heads, 1});
      t.push_back({p + "ssm_a", Kind::SsmA, s.dn_v_heads, 1});
      if (s.arch == "qwen3next") {  // β and α in one matrix, [β…, α…] per key head
        t.push_back({p + "ssm_beta_alpha.weight", Kind::Weight, e, 2 * uint64_t{s.dn_v_heads}});
      } else {
        t.push_back({p + "ssm_beta.weight", Kind::Weight, e, s.dn_v_heads});
        t.push_back({p + "ssm_alpha.weight", Kind::Weight, e, s.dn_v_heads});
      }
      t.push_back({p + "ssm_norm.weight", Kind::HeadNorm, s.dn_head_dim, 1});
      t.push_back({p + "ssm_out.weight", Kind::Weight, value, e});
    } else if (s.arch == "kimi-linear" && !s.attends(l)) {
      // a Kimi Delta Attention layer, as llama.cpp's converter writes it: the convolutions' taps
      // [taps, 1, channels], A = −exp(A_log) per head as [1, n_head]
      const uint64_t inner = uint64_t{s.n_head} * s.dn_head_dim, hd = s.dn_head_dim;
      for (const char* m : {"q", "k", "v"}) {
        t.push_back({p + "attn_" + m + ".weight", Kind::Weight, e, inner});
        t.push_back({p + "ssm_conv1d_" + m + ".weight", Kind::ConvTaps, s.conv_kernel, inner, 1});
      }
      t.push_back({p + "ssm_f_a.weight", Kind::Weight, e, hd});
      t.push_back({p + "ssm_f_b.weight", Kind::Weight, hd, inner});
      t.push_back({p + "ssm_dt.bias", Kind::DtBias, inner, 1});
      t.push_back({p + "ssm_a", Kind::SsmA, 1, s.n_head});
      t.push_back({p + "ssm_beta.weight", Kind::Weight, e, s.n_head});
      t.push_back({p + "ssm_g_a.weight", Kind::Weight, e, hd});
      t.push_back({p + "ssm_g_b.weight", Kind::Weight, hd, inner});
      t.push_back({p + "ssm_norm.weight", Kind::HeadNorm, hd, 1});
      t.push_back({p + "attn_output.weight", Kind::Weight, inner, e});
    } else if (!s.attends(l)) {  // a short-convolution layer (LFM2)
      t.push_back({p + "shortconv.in_proj.weight", Kind::Weight, e, 3 * e});
      t.push_back({p + "shortconv.conv.weight", Kind::ConvTaps, s.conv_kernel, e});
      t.push_back({p + "shortconv.out_proj.weight", Kind::Weight, e, e});
    } else if (s.arch == "gemma3n") {  // (every layer has k and v, the shared-KV layers unused, as Google's)
      t.push_back({p + "attn_q.weight", Kind::Weight, e, q});
      t.push_back({p + "attn_k.weight", Kind::Weight, e, kv});
      t.push_back({p + "attn_v.weight", Kind::Weight, e, kv});
      t.push_back({p + "attn_q_norm.weight", Kind::QkGain, s.head_dim(), 1});
      t.push_back({p + "attn_k_norm.weight", Kind::QkGain, s.head_dim(), 1});
    } else if (s.arch == "gemma4") {  // heads shaped per layer; k and v only where the layer keeps its own
      const uint64_t hd = s.layer_head_dim(l), kvl = uint64_t{s.layer_kv(l)} * hd;
      t.push_back({p + "attn_q.weight", Kind::Weight, e, uint64_t{s.n_head} * hd});
      t.push_back({p + "attn_q_norm.weight", Kind::QkGain, hd, 1});
      if (s.keeps_kv(l)) {
        t.push_back({p + "attn_k.weight", Kind::Weight, e, kvl});
        if (!(s.k_eq_v && !s.sliding(l))) t.push_back({p + "attn_v.weight", Kind::Weight, e, kvl});
        t.push_back({p + "attn_k_norm.weight", Kind::QkGain, hd, 1});
      }
    } else if (s.arch == "phi3" || neox || phi2 || s.arch == "bailingmoe2" || falcon || starcoder ||
               chatglm || qwen1 || mpt) {
      t.push_back({p + "attn_qkv.weight", Kind::Weight, e, q + 2 * kv});
      // (ChatGLM's and Qwen's q|k|v biases packed as their matrix)
      if (neox || phi2 || starcoder || chatglm || qwen1)
        t.push_back({p + "attn_qkv.bias", Kind::Bias, q + 2 * kv, 1});
    } else if (s.kv_rank) {  // multi-head latent attention
      const uint64_t hq = uint64_t{s.n_head} * (s.qk_nope + s.rope_dims), nh = s.n_head;
      if (s.q_rank) {
        t.push_back({p + "attn_q_a.weight", Kind::Weight, e, s.q_rank});
        t.push_back({p + "attn_q_a_norm.weight", Kind::HeadNorm, s.q_rank, 1});
        t.push_back({p + "attn_q_b.weight", Kind::Weight, s.q_rank, hq});
      } else {
        t.push_back({p + "attn_q.weight", Kind::Weight, e, hq});
      }
      t.push_back({p + "attn_kv_a_mqa.weight", Kind::Weight, e, uint64_t{s.kv_rank} + s.rope_dims});
      t.push_back({p + "attn_kv_a_norm.weight", Kind::HeadNorm, s.kv_rank, 1});
      if (s.arch == "minicpm3") {  // (one attn_kv_b: per head its k rows, then its v rows)
        t.push_back({p + "attn_kv_b.weight", Kind::Weight, s.kv_rank, (uint64_t{s.qk_nope} + s.v_head) * nh});
      } else {
        t.push_back({p + "attn_k_b.weight", Kind::Weight, s.qk_nope, s.kv_rank * nh, nh});
        t.push_back({p + "attn_v_b.weight", Kind::Weight, s.kv_rank, s.v_head * nh, nh});
      }
    } else {
      t.push_back(
          {p + "attn_q.weight", Kind::Weight, e, (qwen35 ? 2 : 1) * q});  // (qwen35: [q, gate] per head)
      t.push_back({p + "attn_k.weight", Kind::Weight, e, kv});
      t.push_back({p + "attn_v.weight", Kind::Weight, e, kv});
    }
    const bool gpt_oss = s.arch == "gpt-oss", glm4 = s.arch == "glm4", glm4moe = s.arch == "glm4moe";
    const bool afmoe = s.arch == "afmoe";
    if (afmoe) t.push_back({p + "attn_gate.weight", Kind::Weight, e, q});  // (each head's output gate)
    if (!s.attends(l)) {
      // (no attention tensors)
    } else if (s.arch == "qwen2" || s.arch == "qwen2moe" || s.arch == "seed_oss" || gpt_oss || glm4 ||
               glm4moe || starcoder2 || (stablelm && !stablelm_12b) || phimoe) {
      t.push_back({p + "attn_q.bias", Kind::Bias, q, 1});
      t.push_back({p + "attn_k.bias", Kind::Bias, kv, 1});
      t.push_back({p + "attn_v.bias", Kind::Bias, kv, 1});
    }
    if ((s.arch == "qwen3" || s.arch == "qwen3moe" || s.arch == "gemma3" || s.arch.rfind("hunyuan", 0) == 0 ||
         (glm4moe && s.qk_norm) || lfm2 || qwen35 || s.arch.rfind("exaone", 0) == 0 || s.arch == "dots1" ||
         s.arch == "bailingmoe2" || s.arch == "apertus" || afmoe) &&
        s.attends(l)) {
      t.push_back({p + "attn_q_norm.weight", Kind::HeadNorm, s.head_dim(), 1});
      t.push_back({p + "attn_k_norm.weight", Kind::HeadNorm, s.head_dim(), 1});
    }
    if (qk_layer_norm && s.attends(l)) {  // [head_dim, n_head] and [head_dim, n_head_kv]
      t.push_back({p + "attn_q_norm.weight", Kind::HeadNorm, s.head_dim(), s.n_head});
      t.push_back({p + "attn_k_norm.weight", Kind::HeadNorm, s.head_dim(), s.n_head_kv});
    }
    const bool seed_oss = s.arch == "seed_oss";
    if (olmo2 || s.arch == "olmoe" || s.arch == "minimax-m2") {  // q and k normalized whole
      t.push_back({p + "attn_q_norm.weight", Kind::HeadNorm, q, 1});
      t.push_back({p + "attn_k_norm.weight", Kind::HeadNorm, kv, 1});
    }
    const uint64_t q_l = s.arch == "gemma4" ? uint64_t{s.n_head} * s.layer_head_dim(l) : q;
    if (s.attends(l) || s.linear_attention(l))  // (deci's linear replacement: n_embd × n_embd)
      t.push_back({p + "attn_output.weight", Kind::Weight,
                   s.kv_rank               ? uint64_t{s.n_head} * s.v_head
                   : s.linear_attention(l) ? e
                                           : q_l,
                   e});
    if (gpt_oss || seed_oss || neox || phi2 || starcoder2 || phimoe || starcoder)
      t.push_back({p + "attn_output.bias", Kind::Bias, e, 1});
    if (gpt_oss) t.push_back({p + "attn_sinks.weight", Kind::Sink, s.n_head, 1});
    const bool post_norms = s.arch == "gemma2" || s.arch == "gemma3" || s.arch == "gemma4" ||
                            s.arch == "gemma3n" || glm4 || olmo2 || exaone4 || afmoe;
    if (post_norms) t.push_back({p + "post_attention_norm.weight", Kind::Norm, e, 1});
    if (nemotron && !s.ffn_layer(l)) continue;       // (Nemotron-H: a mixer layer has no FFN)
    if (deci && s.layer_ff_width(l) == 0) continue;  // (deci: a layer without an FFN)
    // (Falcon-H1's converter maps pre_ff_layernorm.weight whole: "ffn_norm" without ".weight")
    // (Nemotron-H's FFN layers: their attn_norm; Falcon's FFN: attn_norm; StableLM 2 12B's: its attn_norm)
    if (!olmo2 && !exaone4 && !nemotron && !phi2 && !cohere && !falcon && !stablelm_12b && !olmo1)
      t.push_back({p + (gpt_oss || glm4moe || seed_oss || qwen35 ? "post_attention_norm.weight"
                        : falcon_h1                              ? "ffn_norm"
                                                                 : "ffn_norm.weight"),
                   norm, e, 1});
    if (neox || starcoder2 || (stablelm && !stablelm_12b) || nemotron4 || phimoe || orion || starcoder)
      t.push_back({p + "ffn_norm.bias", Kind::Bias, e, 1});
    const bool experts = s.moe_layer(l);
    if (experts && s.arch == "gemma4") {  // experts (gate|up per expert) beside the dense FFN, their norms
      const uint64_t nf = s.n_ff_exp, ne = s.n_expert;
      t.push_back({p + "ffn_gate.weight", Kind::Weight, e, s.n_ff});
      t.push_back({p + "ffn_up.weight", Kind::Weight, e, s.n_ff});
      t.push_back({p + "ffn_down.weight", Kind::Weight, s.n_ff, e});
      t.push_back({p + "ffn_gate_inp.weight", Kind::Router, e, ne});
      t.push_back({p + "ffn_gate_inp.scale", Kind::HeadNorm, e, 1});
      t.push_back({p + "ffn_gate_up_exps.weight", Kind::Weight, e, 2 * nf * ne, ne});
      t.push_back({p + "ffn_down_exps.weight", Kind::Weight, nf, e * ne, ne});
      t.push_back({p + "ffn_down_exps.scale", Kind::HeadNorm, ne, 1});
      for (const char* norm_name :
           {"pre_ffw_norm_2.weight", "post_ffw_norm_1.weight", "post_ffw_norm_2.weight"})
        t.push_back({p + norm_name, Kind::HeadNorm, e, 1});
    } else if (experts) {
      const uint64_t nf = s.n_ff_exp ? s.n_ff_exp : s.n_ff, ne = s.n_expert;
      t.push_back({p + "ffn_gate_inp.weight", Kind::Router, e, ne});
      // (Qwen3.5's mixtures gate their shared expert as Qwen2-MoE's)
      const bool qwen2moe = s.arch == "qwen2moe" || s.arch == "qwen35moe" || s.arch == "qwen3next",
                 ernie = s.arch == "ernie4_5-moe";
      const bool granite_h = s.arch == "granitehybrid";  // (a shared expert, no selection bias)
      // (dots1, bailingmoe2 and minimax-m2: DeepSeek-style, as GLM-4.5's)
      const bool deepseek_style = glm4moe || s.arch == "deepseek2" || s.arch == "mistral4" ||
                                  s.arch == "kimi-linear" || s.arch == "dots1" ||
                                  s.arch.rfind("bailingmoe", 0) == 0 || s.arch == "minimax-m2" || afmoe ||
                                  s.arch == "exaone-moe";
      const bool llama4 = s.arch == "llama4";  // (one shared expert, no selection bias)
      if (deepseek_style || qwen2moe || ernie || s.arch == "hunyuan-moe" || lfm2 || granite_h || nemotron ||
          llama4 || s.arch == "cohere2moe") {
        if (!qwen2moe && !granite_h && !llama4 && (s.expert_gating_func == 2 || ernie))
          t.push_back({p + "exp_probs_b.bias", Kind::ExpertBias, ne, 1});
        const uint64_t ns = uint64_t{s.n_ff_shexp ? s.n_ff_shexp : nf} * s.n_expert_shared;
        if (ns) {
          if (!nemotron) t.push_back({p + "ffn_gate_shexp.weight", Kind::Weight, e, ns});  // (ReLU²: no gate)
          t.push_back({p + "ffn_up_shexp.weight", Kind::Weight, e, ns});
          t.push_back({p + "ffn_down_shexp.weight", Kind::Weight, ns, e});
          if (qwen2moe) t.push_back({p + "ffn_gate_inp_shexp.weight", Kind::ExpertBias, e, 1});
        }
      }
      if (!nemotron) t.push_back({p + "ffn_gate_exps.weight", Kind::Weight, e, nf * ne, ne});
      t.push_back({p + "ffn_up_exps.weight", Kind::Weight, e, nf * ne, ne});
      t.push_back({p + "ffn_down_exps.weight", Kind::Weight, nf, e * ne, ne});
      if (gpt_oss) {  // the router's bias and each expert's biases (2-D: one row per expert)
        t.push_back({p + "ffn_gate_inp.bias", Kind::Bias, ne, 1});
        t.push_back({p + "ffn_gate_exps.bias", Kind::Bias, nf, ne});
        t.push_back({p + "ffn_up_exps.bias", Kind::Bias, nf, ne});
        t.push_back({p + "ffn_down_exps.bias", Kind::Bias, e, ne});
      }
    } else if (s.arch == "phi3" || glm4 || chatglm) {
      t.push_back({p + "ffn_up.weight", Kind::Weight, e, 2 * uint64_t{s.n_ff}});  // gate rows, then up rows
    } else {
      if (!nemotron && !neox && !phi2 && !starcoder2 && s.arch != "arcee" && s.arch != "apertus" && !falcon &&
          !nemotron4 && !starcoder && !mpt)
        t.push_back({p + "ffn_gate.weight", Kind::Weight, e, s.layer_ff_width(l)});  // (ReLU², GELU: no gate)
      t.push_back({p + "ffn_up.weight", Kind::Weight, e, s.layer_ff_width(l)});
      if (neox || phi2 || starcoder2 || starcoder) t.push_back({p + "ffn_up.bias", Kind::Bias, s.n_ff, 1});
    }
    if (!experts) t.push_back({p + "ffn_down.weight", Kind::Weight, s.layer_ff_width(l), e});
    if (!experts && (neox || phi2 || starcoder2 || starcoder))
      t.push_back({p + "ffn_down.bias", Kind::Bias, e, 1});
    if (post_norms) t.push_back({p + "post_ffw_norm.weight", Kind::Norm, e, 1});
    if (s.arch == "gemma3n") {  // AltUp and LAuReL (as llama.cpp's converter names them)
      const uint64_t n = s.altup_inputs;
      t.push_back({p + "altup_correct_coef.weight", Kind::AltUpCoef, n, n});
      t.push_back({p + "altup_correct_scale.weight", Kind::HeadNorm, e, 1});
      t.push_back({p + "altup_predict_coef.weight", Kind::AltUpCoef, n, n * n});
      t.push_back({p + "altup_router.weight", Kind::AltUpRouter, e, n});
      t.push_back({p + "altup_router_norm.weight", Kind::HeadNorm, e, 1});
      t.push_back({p + "laurel_l.weight", Kind::Weight, e, s.laurel_rank});
      t.push_back({p + "laurel_r.weight", Kind::Weight, s.laurel_rank, e});
      t.push_back({p + "laurel_post_norm.weight", Kind::HeadNorm, e, 1});
    }
    if (s.arch == "gemma4" || s.arch == "gemma3n") {  // the layer's output scale and per-layer input
      if (s.arch == "gemma4") t.push_back({p + "layer_output_scale.weight", Kind::HeadNorm, 1, 1});
      if (s.per_layer_embd) {
        t.push_back({p + "inp_gate.weight", Kind::Weight, e, s.per_layer_embd});
        t.push_back({p + "proj.weight", Kind::Weight, s.per_layer_embd, e});
        t.push_back({p + "post_norm.weight", Kind::HeadNorm, e, 1});
      }
    }
    if (l >= s.n_layer) {  // a multi-token-prediction layer's own tensors (GLM-4.5's NextN), unused here
      t.push_back({p + "nextn.eh_proj.weight", Kind::Weight, 2 * e, e});
      t.push_back({p + "nextn.enorm.weight", Kind::Norm, e, 1});
      t.push_back({p + "nextn.hnorm.weight", Kind::Norm, e, 1});
      t.push_back({p + "nextn.shared_head_norm.weight", Kind::Norm, e, 1});
    }
  }
  if (s.rope_scaling_factor > 0 || s.rope_pairs_full)
    t.push_back({"rope_freqs.weight", Kind::RopeFreqs, s.head_dim() / 2, 1});
  if (s.altup_inputs) {  // Gemma 3n's projections into AltUp's other streams and back
    const uint64_t others = s.altup_inputs - 1;
    t.push_back({"altup_proj.weight", Kind::Weight, e, e * others, others});
    t.push_back({"altup_unembd_proj.weight", Kind::Weight, e, e * others, others});
  }
  if (s.per_layer_embd) {  // Gemma 4's per-layer inputs
    const uint64_t all = uint64_t{s.per_layer_embd} * s.n_layer;
    t.push_back({"per_layer_token_embd.weight", Kind::Weight, all, s.n_vocab});
    t.push_back({"per_layer_model_proj.weight", Kind::Weight, e, all});
    t.push_back({"per_layer_proj_norm.weight", Kind::HeadNorm, s.per_layer_embd, 1});
  }
  // (LFM2's final norm is named token_embd_norm, as llama.cpp's converter writes it)
  const bool lfm2 = s.arch == "lfm2" || s.arch == "lfm2moe";
  const bool norm_bias = s.arch == "gptneox" || s.arch == "phi2" || s.arch == "starcoder2" ||
                         s.arch == "stablelm" || s.arch == "falcon" || s.arch == "nemotron" ||
                         s.arch == "phimoe" || s.arch == "orion" || s.arch == "starcoder" ||
                         s.arch == "bloom";
  if (s.arch != "olmo")  // (OLMo 1's final norm has no parameters either)
    t.push_back({lfm2 ? "token_embd_norm.weight" : "output_norm.weight",
                 norm_bias || s.arch == "command-r" || s.arch.rfind("cohere2", 0) == 0 || s.arch == "mpt"
                     ? Kind::HeadNorm
                     : Kind::Norm,
                 e, 1});
  if (norm_bias) t.push_back({"output_norm.bias", Kind::Bias, e, 1});
  if (!s.tied_embeddings) t.push_back({"output.weight", Kind::Weight, e, s.n_vocab});
  if (s.arch == "phi2" || s.arch == "phimoe") t.push_back({"output.bias", Kind::Bias, s.n_vocab, 1});
  return t;
}

// Generates and quantizes rows [0, rows) of one tensor into out, in parallel.
void fill_rows(const TensorSpec& spec, GgmlType type, uint64_t seed, uint64_t tensor_index, float stddev,
               unsigned threads, std::vector<uint8_t>& out) {
  const auto traits = gguf::ggml_type_traits(type);
  const uint64_t row_bytes = spec.row / traits.block_elements * traits.block_bytes;
  out.assign(row_bytes * spec.rows, 0);
  auto work = [&](uint64_t begin, uint64_t end) {
    std::vector<float> x(spec.row);
    for (uint64_t r = begin; r < end; ++r) {
      normal_row(row_seed(seed, tensor_index, r), stddev, x.data(), spec.row);
      quant::quantize_row(type, x.data(), out.data() + r * row_bytes, static_cast<int64_t>(spec.row));
    }
  };
  const uint64_t n_threads = std::min<uint64_t>(threads, std::max<uint64_t>(1, spec.rows / 64));
  if (n_threads <= 1) {
    work(0, spec.rows);
    return;
  }
  std::vector<std::thread> pool;
  for (uint64_t t = 0; t < n_threads; ++t)
    pool.emplace_back(work, spec.rows * t / n_threads, spec.rows * (t + 1) / n_threads);
  for (auto& th : pool) th.join();
}

// The divisor of each RoPE pair's frequency under Llama 3.1's "llama3" scaling, as llama.cpp's converter
// computes rope_freqs.weight: 1 for wavelengths below original_ctx / high_freq_factor, the factor above
// original_ctx, and a smooth blend between (none where high_freq_factor is 1, as Llama 4 Scout's).
std::vector<float> llama3_rope_factors(const Shape& s) {
  const double dim = s.head_dim(), low_freq_factor = 1.0, high_freq_factor = s.rope_high_freq_factor;
  const double old_ctx = s.rope_original_ctx, factor = s.rope_scaling_factor;
  const double low_freq_wavelen = old_ctx / low_freq_factor, high_freq_wavelen = old_ctx / high_freq_factor;
  std::vector<float> out;
  for (uint32_t i = 0; i < s.head_dim() / 2; ++i) {
    const double freq = 1.0 / std::pow(double(s.rope_base), 2.0 * i / dim);
    const double wavelen = 2.0 * std::numbers::pi / freq;
    if (wavelen < high_freq_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_freq_wavelen) {
      out.push_back(static_cast<float>(factor));
    } else {
      const double smooth = (old_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
      out.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth)));
    }
  }
  return out;
}

}  // namespace

namespace {
constexpr std::string_view kArchitectures[] = {
    "llama",      "qwen2",        "qwen3",         "qwen3moe",      "phi3",       "gemma2",
    "gemma3",     "gpt-oss",      "smollm3",       "granite",       "granitemoe", "glm4",
    "glm4moe",    "olmo2",        "deepseek2",     "qwen2moe",      "mistral3",   "ernie4_5-moe",
    "olmoe",      "seed_oss",     "hunyuan-dense", "hunyuan-moe",   "lfm2",       "lfm2moe",
    "qwen35",     "qwen35moe",    "qwen3next",     "granitehybrid", "nemotron_h", "nemotron_h_moe",
    "gptneox",    "phi2",         "command-r",     "cohere2",       "gemma4",     "gemma",
    "exaone",     "exaone4",      "arcee",         "falcon-h1",     "minimax-m2", "dots1",
    "bailingmoe", "bailingmoe2",  "gemma3n",       "llama4",        "starcoder2", "stablelm",
    "internlm2",  "apertus",      "falcon",        "nemotron",      "mistral4",   "mamba2",
    "mamba",      "deci",         "minicpm",       "minicpm3",      "phimoe",     "kimi-linear",
    "afmoe",      "smallthinker", "exaone-moe",    "cohere2moe",    "baichuan",   "orion",
    "xverse",     "starcoder",    "olmo",          "chatglm",       "qwen",       "jamba",
    "bloom",      "mpt"};
}  // namespace

bool can_write_architecture(std::string_view arch) {
  return std::find(std::begin(kArchitectures), std::end(kArchitectures), arch) != std::end(kArchitectures);
}

std::string architecture_list() {
  std::string out;
  for (size_t i = 0; i < std::size(kArchitectures); ++i)
    out += std::string(i == 0                               ? ""
                       : i + 1 == std::size(kArchitectures) ? " or "
                                                            : ", ") +
           std::string(kArchitectures[i]);
  return out;
}

uint64_t Shape::n_params() const {
  uint64_t n = 0;
  for (const auto& t : tensor_list(*this)) n += t.row * t.rows;
  return n;
}

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = make_shapes();
  return all;
}

const Shape* find_shape(std::string_view name) {
  for (const auto& s : shapes())
    if (s.name == name) return &s;
  return nullptr;
}

GgmlType fallback_type(GgmlType wanted, uint64_t row_length) {
  const auto traits = gguf::ggml_type_traits(wanted);
  if (row_length % traits.block_elements == 0) return wanted;
  GgmlType next = GgmlType::F16;
  switch (wanted) {
    case GgmlType::Q4_K:
      next = GgmlType::Q5_0;
      break;
    case GgmlType::Q5_K:
      next = GgmlType::Q5_1;
      break;
    case GgmlType::Q6_K:
      next = GgmlType::Q8_0;
      break;
    case GgmlType::IQ4_XS:
    case GgmlType::IQ1_S:  // the i-quants as llama.cpp falls them back
    case GgmlType::IQ1_M:
    case GgmlType::IQ2_XXS:
    case GgmlType::IQ2_XS:
    case GgmlType::IQ2_S:
    case GgmlType::IQ3_XXS:
    case GgmlType::IQ3_S:
      next = GgmlType::IQ4_NL;
      break;
    case GgmlType::TQ1_0:
    case GgmlType::TQ2_0:
      next = GgmlType::Q4_0;
      break;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
      next = GgmlType::Q4_0;
      break;
    default:
      break;
  }
  return row_length % gguf::ggml_type_traits(next).block_elements == 0 ? next : GgmlType::F16;
}

Report write_model(const Options& options, const std::filesystem::path& path) {
  const Shape& s = options.shape;
  validate(s);
  const uint32_t ftype = file_type(options.type);
  if (!quant::can_quantize(options.type))
    throw std::invalid_argument("synth cannot write weights of type " + gguf::ggml_type_name(options.type));
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());

  gguf::GgufWriter w;
  const std::string& a = s.arch;
  w.set_string("general.architecture", a);
  w.set_string("general.name", "glasswing synthetic " + s.name);
  w.set_u32("general.alignment", 32);
  w.set_u32("general.file_type", ftype);
  w.set_u32("general.quantization_version", 2);
  w.set_u32(a + ".vocab_size", s.n_vocab);
  w.set_u32(a + ".context_length", s.n_ctx);
  w.set_u32(a + ".embedding_length", s.n_embd);
  w.set_u32(a + ".block_count", s.n_layer + s.n_nextn);
  // (Qwen's converter writes the config's intermediate_size, twice the FFN's width)
  w.set_u32(a + ".feed_forward_length", a == "qwen" ? 2 * s.n_ff : s.n_ff);
  w.set_u32(a + ".attention.head_count", s.n_head);
  if (a == "deci") {  // per layer, as llama.cpp's converter writes a Llama-Nemotron's block_configs
    gguf::Array heads, ff;
    heads.elem_type = ff.elem_type = gguf::ValueType::Uint32;
    for (uint32_t l = 0; l < s.n_layer; ++l) {
      heads.ints.push_back(s.layer_heads.empty() ? s.n_head : s.layer_heads[l]);
      ff.ints.push_back(s.layer_ff_width(l));
    }
    w.set_array(a + ".attention.head_count", heads);
    w.set_array(a + ".feed_forward_length", ff);
    w.set_u32(a + ".attention.key_length", s.head_dim());
    w.set_u32(a + ".attention.value_length", s.head_dim());
  }
  if (s.pure_ssm()) {
    // (llama.cpp's converter writes head_count 0 and no other attention key)
  } else if (a == "qwen") {
    // (Qwen's converter writes no head_count_kv: every head its own keys, as llama.cpp defaults it)
    if (s.n_head_kv != s.n_head) throw std::invalid_argument("qwen's KV heads are its query heads");
  } else if (!s.layer_kv_heads.empty()) {  // (Gemma 4: per layer)
    gguf::Array kv;
    kv.elem_type = gguf::ValueType::Uint32;
    for (uint32_t l = 0; l < s.n_layer; ++l) kv.ints.push_back(s.layer_kv(l));
    w.set_array(a + ".attention.head_count_kv", kv);
  } else if (s.attention_layers.empty()) {
    w.set_u32(a + ".attention.head_count_kv", s.n_head_kv);
  } else {  // per layer, 0 for the layers without attention (as llama.cpp's converter writes LFM2's,
            // Granite's)
    gguf::Array kv;
    kv.elem_type = gguf::ValueType::Uint32;
    for (uint32_t l = 0; l < s.n_layer; ++l) kv.ints.push_back(s.attends(l) ? s.n_head_kv : 0);
    w.set_array(a + ".attention.head_count_kv", kv);
    if (a == "lfm2" || a == "lfm2moe") w.set_u32(a + ".shortconv.l_cache", s.conv_kernel);
  }
  // (Falcon's converter writes neither: llama.cpp then turns all of each head at a base of 10000;
  // StarCoder's positions are learned, BLOOM's are ALiBi's: no RoPE keys)
  if (a != "falcon" && a != "starcoder" && a != "bloom" && a != "mpt" && !s.pure_ssm())
    w.set_f32(a + ".rope.freq_base", s.rope_base);
  // (Falcon-H1's converter writes none: llama.cpp then turns all of each head, key_length)
  if (a != "falcon-h1" && a != "falcon" && a != "starcoder" && a != "bloom" && a != "mpt" && !s.pure_ssm())
    w.set_u32(a + ".rope.dimension_count", s.rope_dims ? s.rope_dims : s.head_dim());
  const bool cohere_rms = a == "cohere2moe" && s.rms_norms;  // (an RMS epsilon: llama.cpp runs RMSNorms)
  if ((a == "gptneox" || a == "phi2" || a == "command-r" || a == "cohere2" || a == "cohere2moe" ||
       a == "starcoder2" || a == "stablelm" || a == "falcon" || a == "nemotron" || a == "orion" ||
       a == "starcoder" || a == "olmo" || a == "bloom" || a == "mpt") &&
      !cohere_rms) {  // (LayerNorms)
    w.set_f32(a + ".attention.layer_norm_epsilon", s.norm_eps);
  } else {
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", s.norm_eps);
  }
  if (a == "gptneox") w.set_bool(a + ".use_parallel_residual", true);
  if (a == "mpt") w.set_f32(a + ".attention.max_alibi_bias", 8.0f);  // (attn_config.alibi_bias_max)
  if (a == "falcon") w.set_string(a + ".tensor_data_layout", "jploski");
  if (s.clamp_kqv > 0)
    w.set_f32(a + ".attention.clamp_kqv",
              s.clamp_kqv);  // (OLMo 1's clip_qkv)  // (q|k|v, as the converter writes)
  if (a == "apertus") {
    // xIELU's trained parameters (before their softplus), without the architecture's prefix as llama.cpp's
    // converter writes them: alpha_n, alpha_p and beta one per layer, different in each, eps one for all (a
    // form llama.cpp also takes)
    std::vector<float> alpha_n, alpha_p, beta;
    for (uint32_t l = 0; l < s.n_layer; ++l) {
      alpha_n.push_back(0.2f + 0.5f * static_cast<float>(l % 4));
      alpha_p.push_back(-0.3f + 0.4f * static_cast<float>(l % 3));
      beta.push_back(0.5f - 0.1f * static_cast<float>(l % 2));
    }
    w.set_f32s("xielu.alpha_n", alpha_n);
    w.set_f32s("xielu.alpha_p", alpha_p);
    w.set_f32s("xielu.beta", beta);
    w.set_f32("xielu.eps", -1e-6f);
  }
  if (a == "gemma4") {  // as llama.cpp's converter writes Gemma 4's layer shapes
    gguf::Array pattern, ff;
    pattern.elem_type = gguf::ValueType::Bool;
    ff.elem_type = gguf::ValueType::Uint32;
    for (uint32_t l = 0; l < s.n_layer; ++l) {
      pattern.ints.push_back(s.sliding(l) ? 1 : 0);
      ff.ints.push_back(s.layer_ff_width(l));
    }
    w.set_array(a + ".attention.sliding_window_pattern", pattern);
    if (!s.layer_ff.empty()) w.set_array(a + ".feed_forward_length", ff);
    w.set_u32(a + ".attention.key_length_swa", s.key_length_swa);
    w.set_u32(a + ".attention.value_length_swa", s.key_length_swa);
    w.set_u32(a + ".rope.dimension_count_swa", s.rope_dims_swa);
    w.set_f32(a + ".rope.freq_base_swa", s.rope_base_swa);
    w.set_u32(a + ".attention.shared_kv_layers", s.shared_kv_layers);
    w.set_u32(a + ".embedding_length_per_layer_input", s.per_layer_embd);
  }
  if (a == "gemma3n") {  // as llama.cpp's converter writes Gemma 3n's (no rope.freq_base_swa: 10000)
    gguf::Array pattern, ff;
    pattern.elem_type = gguf::ValueType::Bool;
    ff.elem_type = gguf::ValueType::Uint32;
    std::vector<float> sparsity;
    for (uint32_t l = 0; l < s.n_layer; ++l) {
      pattern.ints.push_back(s.sliding(l) ? 1 : 0);
      ff.ints.push_back(s.layer_ff_width(l));
      // (the normal distribution's quantile of 0.95, and of 0)
      sparsity.push_back(l < s.sparse_layers ? 1.6448533535f : -std::numeric_limits<float>::infinity());
    }
    w.set_array(a + ".attention.sliding_window_pattern", pattern);
    w.set_array(a + ".feed_forward_length", ff);
    w.set_f32s(a + ".activation_sparsity_scale", sparsity);
    w.set_u32(a + ".attention.shared_kv_layers", s.shared_kv_layers);
    w.set_u32(a + ".embedding_length_per_layer_input", s.per_layer_embd);
    w.set_u32(a + ".altup.active_idx", 0);
    w.set_u32(a + ".altup.num_inputs", s.altup_inputs);
  }
  if (s.sliding_window) w.set_u32(a + ".attention.sliding_window", s.sliding_window);
  if (s.n_expert) {
    w.set_u32(a + ".expert_count", s.n_expert);
    w.set_u32(a + ".expert_used_count", s.n_expert_used);
    if (s.n_ff_exp) w.set_u32(a + ".expert_feed_forward_length", s.n_ff_exp);
  }
  if (a == "glm4moe" || a == "deepseek2" || a == "mistral4") {  // as llama.cpp's converter writes them
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    if (s.expert_gating_func) w.set_u32(a + ".expert_gating_func", s.expert_gating_func);
    w.set_bool(a + ".expert_weights_norm", true);
    w.set_u32(a + ".nextn_predict_layers", s.n_nextn);
  }
  if (a == "kimi-linear") {  // as llama.cpp's converter writes Kimi Linear's (no expert_weights_norm: always)
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    w.set_u32(a + ".expert_gating_func", s.expert_gating_func);
    w.set_u32(a + ".ssm.conv_kernel", s.conv_kernel);
    w.set_u32(a + ".kda.head_dim", s.dn_head_dim);
  }
  if (a == "smallthinker") w.set_u32(a + ".expert_gating_func", s.expert_gating_func);  // (softmax, sigmoid)
  if (a == "dots1" || a == "bailingmoe2" || a == "afmoe") {  // as llama.cpp's converter writes them
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    w.set_u32(a + ".expert_gating_func", s.expert_gating_func);
    w.set_bool(a + ".expert_weights_norm", true);
  }
  if (a ==
      "cohere2moe") {  // as llama.cpp's converter writes North's and Command A+'s (no gating key: sigmoid)
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    w.set_bool(a + ".expert_weights_norm", true);
    gguf::Array pattern;
    pattern.elem_type = gguf::ValueType::Bool;
    for (uint32_t l = 0; l < s.n_layer; ++l) pattern.ints.push_back(s.sliding(l) ? 1 : 0);
    w.set_array(a + ".attention.sliding_window_pattern", pattern);
  }
  if (a == "exaone-moe") {  // as llama.cpp's converter writes K-EXAONE's (no gating key: sigmoid)
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    w.set_u32(a + ".expert_shared_feed_forward_length", s.n_ff_exp * s.n_expert_shared);
    w.set_bool(a + ".expert_weights_norm", true);
    w.set_u32(a + ".nextn_predict_layers", s.n_nextn);
    // (a flag for each of the model's own layers, from its config's layer_types)
    gguf::Array pattern;
    pattern.elem_type = gguf::ValueType::Bool;
    for (uint32_t l = 0; l < s.n_layer; ++l) pattern.ints.push_back(s.sliding(l) ? 1 : 0);
    if (!s.sliding_layers.empty()) w.set_array(a + ".attention.sliding_window_pattern", pattern);
  }
  if (a == "bailingmoe") {  // as llama.cpp's converter writes Ling 1.0's (no gating key: softmax)
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_shared_count", s.n_expert_shared);
    w.set_bool(a + ".expert_weights_norm", true);
  }
  if (a == "bailingmoe2") {
    w.set_u32(a + ".expert_shared_feed_forward_length", s.n_ff_shexp ? s.n_ff_shexp : s.n_ff_exp);
    w.set_u32(a + ".nextn_predict_layers", s.n_nextn);
  }
  if (a == "minimax-m2") w.set_u32(a + ".expert_gating_func", s.expert_gating_func);  // (its only MoE key)
  if (s.expert_groups) {
    w.set_u32(a + ".expert_group_count", s.expert_groups);
    w.set_u32(a + ".expert_group_used_count", s.expert_groups_used);
  }
  if (s.expert_weights_scale > 0) w.set_f32(a + ".expert_weights_scale", s.expert_weights_scale);
  if (s.attn_temp_scale > 0) w.set_f32(a + ".attention.temperature_scale", s.attn_temp_scale);
  if (s.rope_off) w.set_bool(a + ".rope.scaling.finetuned", false);
  if (a == "nemotron_h_moe") {  // Nemotron 3's router: weights renormalized, one shared expert
    w.set_bool(a + ".expert_weights_norm", true);
    w.set_u32(a + ".expert_shared_feed_forward_length", s.n_ff_exp * s.n_expert_shared);
  }
  if (a == "nemotron_h" || a == "nemotron_h_moe") {  // per layer: the FFN layers' width, 0 for the others
    gguf::Array ff;
    ff.elem_type = gguf::ValueType::Uint32;
    for (uint32_t l = 0; l < s.n_layer; ++l) ff.ints.push_back(s.ffn_layer(l) ? s.n_ff : 0);
    w.set_array(a + ".feed_forward_length", ff);
  }
  if (a == "mamba" || a == "jamba") {  // Mamba-1's sizes, as llama.cpp's converter writes them
    w.set_u32(a + ".ssm.conv_kernel", s.conv_kernel);
    w.set_u32(a + ".ssm.inner_size", s.ssm_inner);
    w.set_u32(a + ".ssm.state_size", s.ssm_state);
    w.set_u32(a + ".ssm.time_step_rank", s.ssm_dt_rank);
    if (a == "mamba") w.set_bool(a + ".ssm.dt_b_c_rms", s.dt_b_c_rms);
  }
  if (a == "granitehybrid" || a == "nemotron_h" || a == "nemotron_h_moe" || a == "falcon-h1" ||
      a == "mamba2") {  // Mamba-2's sizes, as llama.cpp's converter writes them
    w.set_u32(a + ".ssm.conv_kernel", s.conv_kernel);
    w.set_u32(a + ".ssm.inner_size", s.ssm_inner);
    w.set_u32(a + ".ssm.state_size", s.ssm_state);
    w.set_u32(a + ".ssm.time_step_rank", s.ssm_heads);
    w.set_u32(a + ".ssm.group_count", s.ssm_groups);
  }
  if ((a == "qwen2moe" || a == "ernie4_5-moe" || a == "hunyuan-moe" || a == "qwen35moe" ||
       a == "granitehybrid" || a == "qwen3next") &&
      s.n_expert_shared)  // as one (n_ff_shexp wide each where the shape says, as Granite 4.0-H Tiny's)
    w.set_u32(a + ".expert_shared_feed_forward_length",
              (s.n_ff_shexp ? s.n_ff_shexp : s.n_ff_exp) * s.n_expert_shared);
  if (a == "qwen35" || a == "qwen35moe" ||
      a == "qwen3next") {  // as llama.cpp's converter writes Qwen3.5's linear-attention sizes
    w.set_u32(a + ".full_attention_interval", s.full_attention_interval);
    w.set_u32(a + ".ssm.conv_kernel", s.conv_kernel);
    w.set_u32(a + ".ssm.state_size", s.dn_head_dim);
    w.set_u32(a + ".ssm.group_count", s.dn_k_heads);
    w.set_u32(a + ".ssm.time_step_rank", s.dn_v_heads);
    w.set_u32(a + ".ssm.inner_size", s.dn_v_heads * s.dn_head_dim);
  }
  if (a == "qwen35" || a == "qwen35moe") {
    gguf::Array sections;  // text positions: every section turns alike
    sections.elem_type = gguf::ValueType::Int32;
    const int64_t pairs = (s.rope_dims ? s.rope_dims : s.head_dim()) / 2;
    sections.ints = {pairs - 2 * (pairs / 3), pairs / 3, pairs / 3, 0};
    w.set_array(a + ".rope.dimension_sections", sections);
  }
  if (a == "lfm2moe") {
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".expert_gating_func", s.expert_gating_func);
  }
  if (a == "llama4") {  // as llama.cpp's converter writes Llama 4's (and ollama's chunk size where not 8192)
    w.set_u32(a + ".interleave_moe_layer_step", s.moe_step ? s.moe_step : 1);
    if (s.attn_chunk) w.set_u32(a + ".attention.chunk_size", s.attn_chunk);
  }
  if (s.attn_temp_floor) w.set_u32(a + ".attention.temperature_length", s.attn_temp_floor);
  if (a == "ernie4_5-moe") {
    w.set_u32(a + ".leading_dense_block_count", s.n_dense_lead);
    w.set_u32(a + ".interleave_moe_layer_step", 1);
  }
  if (s.attn_softcap > 0) w.set_f32(a + ".attn_logit_softcapping", s.attn_softcap);
  if (s.final_softcap > 0) w.set_f32(a + ".final_logit_softcapping", s.final_softcap);
  if (s.rope_linear_factor > 0) {
    w.set_string(a + ".rope.scaling.type", "linear");
    w.set_f32(a + ".rope.scaling.factor", s.rope_linear_factor);
  }
  for (const auto& [key, v] :
       {std::pair{".embedding_scale", s.embedding_scale}, std::pair{".residual_scale", s.residual_scale},
        std::pair{".attention.scale", s.attention_scale}, std::pair{".logit_scale", s.logit_scale}})
    if (v > 0) w.set_f32(a + key, v);
  if (s.rope_yarn_factor > 0) {
    w.set_string(a + ".rope.scaling.type", "yarn");
    w.set_f32(a + ".rope.scaling.factor", s.rope_yarn_factor);
    w.set_u32(a + ".rope.scaling.original_context_length", s.rope_original_ctx);
  }
  if (s.kv_rank && a == "minicpm3") {  // as MiniCPM3's converter: the heads' widths, no value_length
    w.set_u32(a + ".attention.key_length", s.qk_nope + s.rope_dims);
    w.set_u32(a + ".attention.kv_lora_rank", s.kv_rank);
    if (s.q_rank) w.set_u32(a + ".attention.q_lora_rank", s.q_rank);
  } else if (s.kv_rank) {  // multi-head latent attention: the latent's widths, and the heads' as *_mla
    w.set_u32(a + ".attention.key_length", s.kv_rank + s.rope_dims);
    w.set_u32(a + ".attention.value_length", s.kv_rank);
    w.set_u32(a + ".attention.key_length_mla", s.qk_nope + s.rope_dims);
    w.set_u32(a + ".attention.value_length_mla", s.v_head);
    w.set_u32(a + ".attention.kv_lora_rank", s.kv_rank);
    if (s.q_rank) w.set_u32(a + ".attention.q_lora_rank", s.q_rank);
  } else if (s.key_length) {
    w.set_u32(a + ".attention.key_length", s.key_length);
    w.set_u32(a + ".attention.value_length", s.key_length);
  }

  const Vocab vocab = make_vocab(s.n_vocab);
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_strings("tokenizer.ggml.tokens", vocab.tokens);
  w.set_f32s("tokenizer.ggml.scores", vocab.scores);
  w.set_i32s("tokenizer.ggml.token_type", vocab.types);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);

  Report report;
  std::vector<uint8_t> bytes;
  const auto specs = tensor_list(s);
  for (uint64_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& t = specs[i];
    report.n_params += t.row * t.rows;
    if (t.kind == Kind::Weight) {
      const GgmlType type = fallback_type(options.type, t.row);
      if (type != options.type) report.fallbacks.push_back({t.name, options.type, type, t.row});
      fill_rows(t, type, options.seed, i, 0.02f, threads, bytes);
      if (t.experts)
        w.add_tensor(t.name, type, {t.row, t.rows / t.experts, t.experts}, bytes);
      else
        w.add_tensor(t.name, type, {t.row, t.rows}, bytes);
    } else if (t.kind == Kind::Router) {  // F32, as llama.cpp keeps it; N(0, 0.2): routing with clear winners
      fill_rows(t, GgmlType::F32, options.seed, i, 0.2f, threads, bytes);
      w.add_tensor(t.name, GgmlType::F32, {t.row, t.rows}, bytes);
    } else if (t.kind == Kind::AltUpRouter || t.kind == Kind::AltUpCoef) {
      // (the router's outputs and the coefficients near ±0.5, so that every stream's mix shows; in the
      // requested type where its rows allow, else as llama.cpp falls back: the coefficients' rows of
      // n_inputs floats are F16 in a quantized file)
      const float sd = t.kind == Kind::AltUpCoef ? 0.3f : 0.5f * std::sqrt(static_cast<float>(t.row));
      const GgmlType type = fallback_type(options.type, t.row);
      fill_rows(t, type, options.seed, i, sd, threads, bytes);
      w.add_tensor(t.name, type, {t.row, t.rows}, bytes);
    } else {  // F32 vectors (biases may be one row per expert)
      std::vector<float> v(t.row * t.rows, 1.0f);
      if (t.kind == Kind::Bias)
        for (uint64_t r = 0; r < t.rows; ++r)
          normal_row(row_seed(options.seed, i, r), 0.02f, v.data() + r * t.row, t.row);
      if (t.kind == Kind::RopeFreqs && s.rope_pairs_full) {  // (Gemma 4: only the first pairs turn)
        for (uint64_t i = 0; i < v.size(); ++i) v[i] = i < s.rope_pairs_full ? 1.0f : 1e30f;
      } else if (t.kind == Kind::RopeFreqs) {
        v = llama3_rope_factors(s);
      }
      if (t.kind == Kind::HeadNorm || t.kind == Kind::QkGain) {
        normal_row(row_seed(options.seed, i, 0), 0.25f, v.data(), t.row * t.rows);
        const float scale =
            t.kind == Kind::QkGain ? 1.0f / std::sqrt(std::sqrt(static_cast<float>(t.row))) : 1.0f;
        for (float& g : v) g = (g + 1.0f) * scale;
      }
      if (t.kind == Kind::Sink) normal_row(row_seed(options.seed, i, 0), 1.0f, v.data(), t.row);  // N(0, 1)
      if (t.kind == Kind::ExpertBias) normal_row(row_seed(options.seed, i, 0), 0.3f, v.data(), t.row);
      if (t.kind == Kind::SsmA) {
        normal_row(row_seed(options.seed, i, 0), 0.5f, v.data(), t.row * t.rows);
        for (float& x : v) x = -std::exp(x);
      }
      if (t.kind == Kind::DtBias) normal_row(row_seed(options.seed, i, 0), 1.0f, v.data(), t.row * t.rows);
      if (t.kind == Kind::ConvTaps)
        for (uint64_t r = 0; r < t.rows; ++r)
          normal_row(row_seed(options.seed, i, r), 0.5f, v.data() + r * t.row, t.row);
      bytes.resize(v.size() * 4);
      std::memcpy(bytes.data(), v.data(), bytes.size());
      if (t.rows == 1)
        w.add_tensor(t.name, GgmlType::F32, {t.row}, bytes);
      else if (t.experts)  // (Kimi Linear's convolutions: [taps, 1, channels], as its converter writes them)
        w.add_tensor(t.name, GgmlType::F32, {t.row, 1, t.rows}, bytes);
      else
        w.add_tensor(t.name, GgmlType::F32, {t.row, t.rows}, bytes);
    }
  }
  bytes = {};
  w.write(path);
  report.file_bytes = std::filesystem::file_size(path);
  return report;
}

}  // namespace glasswing::synth
