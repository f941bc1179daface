#include "inference/model/architecture.h"

#include <array>
#include <stdexcept>

namespace glasswing::model {

namespace {
constexpr std::array kArchitectures = {
    // clang-format off
    //         name      norm           ffn              rope              positions fused  qk_norm packed_qkv
    //                                                                     packed_gate_up embed_scale post_norms swa_pattern
    ArchTraits{"llama",  NormKind::Rms,   FfnKind::SwiGlu, RopeKind::Normal, false, false, false},
    // Ministral 3, Devstral 2: llama's layers (text), YaRN at unit magnitude, Llama 4's attention temperature
    // tuning from the original context on (ModelDescription::attn_temperature)
    ArchTraits{"mistral3", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, false, false, false,
               false, false, true},
    // Baidu's ERNIE 4.5 dense models: llama's layers under their own name
    ArchTraits{"ernie4_5", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false},
    // ERNIE-4.5-21B-A3B, ERNIE-4.5-300B-A47B: the same layers with experts after the first dense ones
    ArchTraits{"ernie4_5-moe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false,
               false, false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, false, false,
               false, false, false, false, true},
    ArchTraits{"qwen2",  NormKind::Rms,   FfnKind::SwiGlu, RopeKind::NeoX,   false, false, false},
    ArchTraits{"qwen3",  NormKind::Rms,   FfnKind::SwiGlu, RopeKind::NeoX,   false, false, true},
    // Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B: qwen2's layers, experts with a gated shared one
    ArchTraits{"qwen2moe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::NeoX,   false, false, false, false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, false, false, false,
               false, true},
    ArchTraits{"qwen3moe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::NeoX,   false, false, true},
    ArchTraits{"qwen2vl", NormKind::Rms,  FfnKind::SwiGlu, RopeKind::NeoX,   false, false, false, false, false, false,
               false, 0, false, false, false, "ffn_norm", 0, false, false, false, true},
    ArchTraits{"qwen3vl", NormKind::Rms,  FfnKind::SwiGlu, RopeKind::NeoX,   false, false, true,  false, false, false,
               false, 0, false, false, false, "ffn_norm", 0, false, false, false, true},
    ArchTraits{"qwen3vlmoe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::NeoX, false, false, true,  false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, true},
    ArchTraits{"phi3",   NormKind::Rms,   FfnKind::SwiGlu, RopeKind::NeoX,   false, false, false, true, true},
    // Gemma 1, CodeGemma: llama's layers with scaled embeddings, GeGLU and NeoX pairs
    ArchTraits{.name = "gemma", .norm = NormKind::Rms, .ffn = FfnKind::GeGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .embed_scale = true},
    ArchTraits{"gemma2", NormKind::Rms,   FfnKind::GeGlu,  RopeKind::NeoX,   false, false, false, false, false, true,
               true, 2},
    ArchTraits{"gemma3", NormKind::Rms,   FfnKind::GeGlu,  RopeKind::NeoX,   false, false, true,  false, false, true,
               true, 6},
    ArchTraits{"smollm3", NormKind::Rms,  FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false, false,
               false, 0, false, false, false, "ffn_norm", 4},
    ArchTraits{"granite", NormKind::Rms,  FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false, false,
               false, 0, false, false, false, "ffn_norm", 0, true},
    ArchTraits{"granitemoe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, true},
    ArchTraits{"glm4",   NormKind::Rms,   FfnKind::SwiGlu, RopeKind::Normal, false, false, false, true,  true,  false,
               true},
    // Alibaba Qwen (1): Qwen-7B, Qwen-14B, Qwen-72B and their -Chat: llama's layers with q|k|v packed in one
    // attn_qkv with biases (c_attn) and NeoX pairs; its SwiGLU's gate is the checkpoint's w2, which llama.cpp's
    // converter names ffn_gate (w1 ffn_up), so it runs as llama's. The file's feed_forward_length is the
    // config's intermediate_size, twice the FFN's width (ModelDescription halves it as llama.cpp's loader does)
    ArchTraits{.name = "qwen", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true},
    // THUDM ChatGLM3-6B, GLM-4-9B-Chat (and its -hf export, q, k and v apart): llama's layers with q|k|v packed
    // in one attn_qkv with biases, grouped attention (2 KV groups), RoPE on half of each head (adjacent pairs,
    // as llama.cpp's graph turns them) and gate|up packed in ffn_up (as phi3's); no post-sublayer norms (which
    // GLM-4-0414's glm4 adds)
    ArchTraits{.name = "chatglm", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true, .packed_gate_up = true},
    // GLM-4.5, GLM-4.5-Air, GLM-4.6: q, k and v with biases, RoPE on half of each head (NeoX pairs), the
    // pre-FFN norm named post_attention_norm, DeepSeek-style experts after the first dense layers
    ArchTraits{"glm4moe", NormKind::Rms, FfnKind::SwiGlu, RopeKind::NeoX, false, false, false, false, false,
               false, false, 0, false, false, false, "post_attention_norm", 0, false, false, false, false, true,
               true},
    // DeepSeek-V2, V2.5, V3, R1, GLM-4.7-Flash, Kimi K2, Moonlight: multi-head latent attention (adjacent
    // RoPE pairs on its rotary part) and DeepSeek's experts
    ArchTraits{"deepseek2", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, false, false, true, true},
    // Mistral Small 4: DeepSeek-V3's layers under Mistral's name (llama.cpp's mistral4 is its deepseek2
    // model: the same keys, tensors and graph), with Llama 4's attention temperature where the file says
    ArchTraits{"mistral4", NormKind::Rms, FfnKind::SwiGlu, RopeKind::Normal, false, false, false, false, false,
               false, false, 0, false, false, false, "ffn_norm", 0, false, false, false, false, false, true, true},
    // MiniMax-M2, M2.1 (230B-A10B): q and k RMS-normalized over their whole width before RoPE (as OLMoE), RoPE
    // on part of each head (NeoX pairs), every layer a mixture whose sigmoid router a per-expert bias steers
    // (ModelDescription: its weights always renormalized, as llama.cpp's graph has it); q|k|v apart or packed
    // in one attn_qkv, as llama.cpp's loader takes either
    ArchTraits{.name = "minimax-m2", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .packed_qkv = true,
               .qk_norm_full = true, .deepseek_moe = true},
    // rednote dots.llm1 (142B-A14B): qwen3's attention (per-head q and k norms before RoPE) with DeepSeek-V3's
    // mixture (a dense first layer, shared experts, a sigmoid router steered by a bias)
    ArchTraits{.name = "dots1", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .deepseek_moe = true},
    // inclusionAI Ling 2.0 (Ling-mini, Ling-flash, Ring): q|k|v packed in one attn_qkv, per-head q and k norms
    // before RoPE on half of each head, DeepSeek-V3's mixture with its expert groups; the MTP layer is skipped
    ArchTraits{.name = "bailingmoe2", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .packed_qkv = true,
               .deepseek_moe = true},
    // inclusionAI Ling-lite, Ling-plus (Ling 1.0, bailingmoe): llama's attention (adjacent RoPE pairs over whole
    // heads) with a mixture in every layer, chosen by softmax without a bias, beside shared experts
    ArchTraits{.name = "bailingmoe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .deepseek_moe = true},
    // OLMoE: q and k RMS-normalized whole before RoPE (as olmo2) with the usual pre-norms, 64 experts of n_ff
    ArchTraits{"olmoe",  NormKind::Rms,   FfnKind::SwiGlu, RopeKind::NeoX,   false, false, true,  false, false, false,
               false, 0, false, false, false, "ffn_norm", 0, false, false, true, false, false, false, false,
               false, false, false, true},
    // ByteDance Seed-OSS: llama's layers with NeoX pairs, optional attention biases, the pre-FFN norm named
    // post_attention_norm
    ArchTraits{"seed_oss", NormKind::Rms, FfnKind::SwiGlu, RopeKind::NeoX,   false, false, false, false, false,
               false, false, 0, false, false, false, "post_attention_norm"},
    // Tencent Hunyuan dense (0.5B .. 7B): llama's layers with NeoX pairs and per-head q and k norms after RoPE
    ArchTraits{.name = "hunyuan-dense", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .qk_norm_after_rope = true},
    // Hunyuan-A13B: the same attention, a shared expert beside experts chosen by softmax and renormalized (as
    // ERNIE's mixtures are read, without their dense lead)
    ArchTraits{.name = "hunyuan-moe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .ernie_moe = true,
               .qk_norm_after_rope = true},
    // Liquid AI LFM2 (350M .. 2.6B) and LFM2-8B-A1B: attention layers (per-head q and k norms before RoPE,
    // NeoX pairs) between gated short-convolution layers
    ArchTraits{.name = "lfm2", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .short_conv = true},
    ArchTraits{.name = "lfm2moe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .short_conv = true},
    // Qwen3.5 (0.8B .. 27B): gated delta-net layers between attention layers with an output gate, partial
    // NeoX RoPE (its multimodal sections are plain RoPE for text), the pre-FFN norm named post_attention_norm
    ArchTraits{.name = "qwen35", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true,
               .ffn_norm = "post_attention_norm", .text_of_multimodal = true, .delta_net = true,
               .attn_output_gate = true},
    // Qwen3.5-35B-A3B .. 397B-A17B: the same layers, experts by softmax (renormalized) with a shared expert
    // gated per token as Qwen2-MoE's
    ArchTraits{.name = "qwen35moe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true,
               .ffn_norm = "post_attention_norm", .text_of_multimodal = true, .gated_shared_expert = true,
               .delta_net = true, .attn_output_gate = true},
    // IBM Granite 4.0-H (Micro, Tiny, Small): Mamba-2 layers between attention layers (without RoPE where
    // the file says so), granite's multipliers, dense or mixture FFNs (a shared expert beside the routed ones)
    ArchTraits{.name = "granitehybrid", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .granite_scales = true, .mamba2 = true},
    // NVIDIA Nemotron-H (Nemotron Nano 9B v2, Nemotron-H 4B/8B): Mamba-2, attention without positions and
    // ReLU² FFNs, each a layer of its own
    ArchTraits{.name = "nemotron_h", .norm = NormKind::Rms, .ffn = FfnKind::ReluSqr, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .mamba2 = true, .single_sublayer = true},
    // Nemotron 3 Nano (30B-A3B): the same layers with mixtures of ReLU² experts (sigmoid router steered by a
    // bias) beside a shared ReLU² expert
    ArchTraits{.name = "nemotron_h_moe", .norm = NormKind::Rms, .ffn = FfnKind::ReluSqr, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .mamba2 = true, .single_sublayer = true},
    // TII Falcon-H1 (0.5B .. 34B): Mamba-2 and attention (NeoX pairs) in parallel in every layer, SwiGLU
    ArchTraits{.name = "falcon-h1", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .mamba2 = true, .parallel_hybrid = true},
    // Qwen3-Next-80B-A3B: Qwen3.5's layers with its mixture (as qwen35moe), plain NeoX RoPE, and the delta
    // net's heads grouped (ModelDescription::DeltaNet::grouped)
    ArchTraits{.name = "qwen3next", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true,
               .ffn_norm = "post_attention_norm", .gated_shared_expert = true, .delta_net = true,
               .attn_output_gate = true},
    // Moonshot Kimi-Linear-48B-A3B: Kimi Delta Attention between latent-attention layers without RoPE
    // (ArchTraits::kda), DeepSeek-V3's experts (sigmoid router steered by a bias, a shared expert, a dense
    // first layer)
    ArchTraits{.name = "kimi-linear", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .deepseek_moe = true, .mla = true,
               .kda = true},
    // Mistral Mamba-Codestral-7B, state-spaces mamba2-130m .. 2.7b: Mamba-2 layers alone, each on its RMSNorm
    ArchTraits{.name = "mamba2", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .mamba2 = true, .single_sublayer = true,
               .pure_ssm = true},
    // AI21 Jamba-v0.1, Jamba 1.5 Mini / Large, Jamba 1.6 / 1.7 Mini, Jamba Reasoning 3B: Mamba-1 layers with
    // dt, B and C norms between attention layers without RoPE, experts on every other layer
    ArchTraits{.name = "jamba", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .moe_unnormalized = true, .mamba1_hybrid = true},
    // state-spaces mamba-130m .. 2.8b, TII Falcon-Mamba-7B (its dt, B and C RMS-normalized without gains):
    // Mamba-1's selective scan alone in every layer, each on its RMSNorm
    ArchTraits{.name = "mamba", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = false, .single_sublayer = true, .pure_ssm = true},
    // Google Gemma 4 (E2B, E4B, 31B; text): gemma3's sublayers with heads shaped per layer kind, shared
    // keys and values in the last layers, per-layer inputs in the small models
    ArchTraits{.name = "gemma4", .norm = NormKind::Rms, .ffn = FfnKind::GeGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .embed_scale = true,
               .post_norms = true, .layer_shapes = true},
    // Google Gemma 3n (E2B, E4B; text): Gemma 4's layer shapes (one head width here) with AltUp's four
    // residual streams, LAuReL and sparse FFN gates in the first layers
    ArchTraits{.name = "gemma3n", .norm = NormKind::Rms, .ffn = FfnKind::GeGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .embed_scale = true,
               .post_norms = true, .layer_shapes = true, .altup = true},
    // Meta Llama 4 Scout, Maverick (text): llama's layers, three of four turning (Llama 3's RoPE scaling) and
    // attending in chunks, the fourth without RoPE over every key; sigmoid-routed experts beside a shared one
    ArchTraits{.name = "llama4", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .no_rope_step = 4, .chunked_attention = true,
               .moe_weight_input = true},
    // Arcee Trinity (Nano, Mini, Large; afmoe): gemma's scaled embeddings and norms before and after both
    // sublayers, per-head q and k norms, each head's output gated by σ(attn_gate · x); windows on three layers
    // of four, which alone turn (NeoX pairs), the fourth attending to every key without RoPE; DeepSeek-V3's
    // mixture (dense first layers, a shared expert, a sigmoid router steered by a bias, scaled weights)
    ArchTraits{.name = "afmoe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .embed_scale = true,
               .post_norms = true, .swa_pattern = 4, .local_rope_scaling = true, .no_rope_step = 4,
               .deepseek_moe = true, .attn_gate_proj = true},
    // PowerInfer SmallThinker (4B-A0.6B, 21B-A3B): llama's layers with NeoX pairs, every layer a mixture of
    // ReGLU experts whose router reads the layer's input (softmax or sigmoid, renormalized); with windows
    // (ModelDescription::local_layers) the first layer of every four attends to all keys without RoPE
    ArchTraits{.name = "smallthinker", .norm = NormKind::Rms, .ffn = FfnKind::ReGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .local_rope_scaling = true,
               .rope_local_only = true, .router_from_layer_input = true},
    // Arcee AFM-4.5B: llama's layers with an ungated ReLU² FFN
    ArchTraits{.name = "arcee", .norm = NormKind::Rms, .ffn = FfnKind::ReluSqr, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false},
    // LG AI EXAONE 3.0, 3.5, Deep: llama's layers with NeoX pairs
    ArchTraits{.name = "exaone", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false},
    // EXAONE 4.0 (1.2B, 32B): norms after the sublayers only (as OLMo 2's), per-head q and k norms; the 32B's
    // windows on three layers of four, whose fourth attends without RoPE
    ArchTraits{.name = "exaone4", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .post_norms = true,
               .swa_pattern = 4, .local_rope_scaling = true, .no_pre_norms = true, .rope_local_only = true},
    // LG AI K-EXAONE (exaone-moe: 236B-A23B): EXAONE 4.0's attention (per-head q and k norms; windows on the
    // layers the file's sliding_window_pattern marks, which alone turn q and k) with the usual norms before the
    // sublayers, and DeepSeek-V3's mixture (a dense first layer, a shared expert, a sigmoid router steered by a
    // bias, weights renormalized and scaled); the MTP layer is skipped
    ArchTraits{.name = "exaone-moe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true, .swa_pattern = 4,
               .local_rope_scaling = true, .deepseek_moe = true, .rope_local_only = true},
    // Allen AI OLMo 1 (OLMo-1B, OLMo-7B, OLMo-7B-0424 / 1.7, Instruct): llama's layers (adjacent RoPE pairs:
    // llama.cpp's converter permutes q and k as llama's) with LayerNorms that have no parameters, and q, k
    // and v clamped to ±attention.clamp_kqv where the file has it (ModelDescription::clamp_kqv)
    ArchTraits{.name = "olmo", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .layer_norm_bias = false,
               .nonparametric_norms = true},
    ArchTraits{"olmo2",  NormKind::Rms,   FfnKind::SwiGlu, RopeKind::NeoX,   false, false, true,  false, false, false,
               true, 4, false, false, false, "ffn_norm", 0, false, true, true},
    ArchTraits{"gpt2",   NormKind::Layer, FfnKind::Gelu,   RopeKind::None,   true,  true,  false},
    // BigCode StarCoder, StarCoderBase, SantaCoder, WizardCoder-15B, TinyStarCoder (gpt_bigcode): gpt2's
    // block (learned positions, LayerNorms and projections with biases, q|k|v in one matrix, an ungated GELU
    // FFN, in sequence) with multi-query attention: the fused matrix's rows are all q heads, then the one KV
    // head's k, then its v; tied embeddings where the file has no output.weight
    ArchTraits{.name = "starcoder", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::None,
               .learned_positions = true, .fused_qkv = true},
    // BigScience BLOOM, BLOOMZ (560M to 176B): the token embeddings LayerNorm'd, then gpt2's block (LayerNorms
    // and every projection with biases, q|k|v in one matrix, an ungated GELU FFN, in sequence) without
    // positions on the tokens: ALiBi biases each head's scores by its distance from the query instead; tied
    // embeddings where the file has no output.weight
    ArchTraits{.name = "bloom", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = true, .alibi = true, .embd_norm = true},
    // MosaicML MPT-7B (Base, Chat, Instruct, StoryWriter), MPT-30B: BLOOM's block without the embeddings' norm,
    // LayerNorms and projections without biases (no_bias; a file with them has them applied), q|k|v in one
    // matrix clamped to ±attention.clamp_kqv where the file has it (MPT-30B's clip_qkv), ALiBi at the file's
    // max bias; tied embeddings
    ArchTraits{.name = "mpt", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::None,
               .learned_positions = false, .fused_qkv = true, .layer_norm_bias = false, .alibi = true},
    // GPT-NeoX (Pythia, GPT-NeoX-20B, RedPajama-INCITE): gpt2's LayerNorms, biases and fused q|k|v with NeoX
    // RoPE on part of each head, attention and FFN in parallel from their own norms
    ArchTraits{.name = "gptneox", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = true, .parallel_block = true},
    // Microsoft Phi-2, Phi-1.5: the same parallel block from one norm, q|k|v packed or apart (with biases),
    // a biased classifier
    ArchTraits{.name = "phi2", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true, .ffn_norm = "",
               .parallel_block = true},
    // Cohere Command-R (35B), Command R+ (104B: per-head LayerNorms of q and k), Aya 23, Aya Expanse:
    // LayerNorms without biases, llama's attention and SwiGLU in parallel from one norm, scaled logits
    ArchTraits{.name = "command-r", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .ffn_norm = "", .parallel_block = true,
               .logit_multiplier = true, .layer_norm_bias = false, .qk_layer_norm_if_present = true},
    // Cohere2 (Command R7B, Command A): the same with sliding windows on three layers of four, the fourth
    // attending to all keys without RoPE
    ArchTraits{.name = "cohere2", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .swa_pattern = 4, .local_rope_scaling = true,
               .ffn_norm = "", .no_rope_step = 4, .parallel_block = true, .logit_multiplier = true,
               .layer_norm_bias = false},
    // Cohere's mixtures (cohere2moe: North Mini Code): Cohere2's parallel block (LayerNorms without biases, the
    // FFN reading the attention norm's output, scaled logits) with windows on the layers the file's
    // sliding_window_pattern marks, which alone turn q and k (adjacent pairs), and DeepSeek-style experts
    // after the leading dense layers (a sigmoid router, weights renormalized where the file says), averaged
    // with the shared experts where the file has them (Command A+: the engines halve their sum); files whose
    // shapes Glasswing does not run are refused by ModelDescription; the MTP layer is skipped
    ArchTraits{.name = "cohere2moe", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .swa_pattern = 4, .local_rope_scaling = true,
               .ffn_norm = "", .deepseek_moe = true, .parallel_block = true, .logit_multiplier = true,
               .layer_norm_bias = false, .rope_local_only = true, .shared_experts_averaged = true},
    // BigCode StarCoder2 (3B, 7B, 15B): LayerNorms with biases, biased q, k, v and output projections, NeoX
    // RoPE over whole heads, an ungated GELU FFN with biases, in sequence; q|k|v apart or packed in one
    // attn_qkv, as llama.cpp's loader takes either. (Its config's window of 4096 keys is not in the file
    // and llama.cpp attends to all keys: so do we.)
    ArchTraits{.name = "starcoder2", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true},
    // Stability AI StableLM 2 (1.6B, Zephyr), StableLM 3B 4E1T: LayerNorms with biases, q, k and v with biases
    // in some, RoPE on part of each head (NeoX pairs), SwiGLU, in sequence; StableLM 2 12B: per-head
    // LayerNorms of q and k with gains per head, its FFN in parallel (no ffn_norm: ModelDescription)
    ArchTraits{.name = "stablelm", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true,
               .qk_layer_norm_if_present = true},
    // Shanghai AI Lab InternLM2, InternLM2.5: llama's layers (llama.cpp's converter splits their packed wqkv
    // into attn_q, attn_k and attn_v; a packed attn_qkv is read as q|k|v rows, as llama.cpp's loader reads it)
    ArchTraits{.name = "internlm2", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true},
    // Baichuan Inc. Baichuan-7B, Baichuan2-7B: llama's layers (llama.cpp's converter splits the packed W_pack
    // into attn_q, attn_k and attn_v, reordering q's and k's rows for adjacent RoPE pairs). Baichuan2's
    // NormHead (the classifier's rows L2-normalized) is neither baked in by that converter nor run by
    // llama.cpp's graph: the classifier runs as the file has it, as llama.cpp runs it. Baichuan 13B and
    // Baichuan2 13B (40 layers) use ALiBi: refused by ModelDescription
    ArchTraits{.name = "baichuan", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false},
    // OrionStar Orion-14B: llama's attention and SwiGLU with LayerNorms (gains and biases), RoPE over whole
    // heads in NeoX pairs (its converter keeps Hugging Face's rotate-half order, and llama.cpp turns orion
    // as NeoX)
    ArchTraits{.name = "orion", .norm = NormKind::Layer, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false},
    // XVERSE-7B, 13B, 65B: llama's layers (its converter reorders q's and k's rows for adjacent RoPE pairs)
    ArchTraits{.name = "xverse", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false},
    // Swiss AI Apertus (8B, 70B): llama's layers with per-head q and k norms before RoPE (NeoX pairs; Llama
    // 3's RoPE scaling as rope_freqs) and an ungated FFN whose xIELU activation has each layer's own
    // parameters (ModelDescription::xielu)
    ArchTraits{.name = "apertus", .norm = NormKind::Rms, .ffn = FfnKind::XIelu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .qk_norm = true},
    // NVIDIA Llama-Nemotron (Super 49B v1/v1.5, Ultra 253B, 51B) and DeciLM-7B: llama's layers, each of its
    // own shape
    ArchTraits{.name = "deci", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .block_configs = true},
    // TII Falcon-7B, -40B, -180B, Falcon2-11B: LayerNorms with biases, attention (fused q|k|v without biases,
    // multi-query or grouped, NeoX RoPE over whole heads) and an ungated GELU FFN without biases in parallel;
    // one norm for both (7B, Falcon2-11B) or attn_norm_2 for attention beside attn_norm for the FFN (40B,
    // 180B); tied embeddings where the file has no output.weight
    ArchTraits{.name = "falcon", .norm = NormKind::Layer, .ffn = FfnKind::Gelu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = true, .ffn_norm = "", .parallel_block = true,
               .attn_norm_2 = true},
    // NVIDIA Nemotron-4 (15B, 340B), Minitron (4B, 8B): LayerNorms with biases (their "1p" gains, w + 1,
    // folded into the weights by llama.cpp's converter), grouped attention with RoPE on part of each head
    // (NeoX pairs), an ungated ReLU² FFN, in sequence; biases where the file has them. (Mistral-NeMo-Minitron
    // 8B is a MistralForCausalLM: llama.)
    ArchTraits{.name = "nemotron", .norm = NormKind::Layer, .ffn = FfnKind::ReluSqr, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false},
    // OpenBMB MiniCPM (1B, 2B, MiniCPM4 0.5B and 8B): llama's layers with granite's multipliers (the
    // converter's embedding_scale = scale_emb, residual_scale = scale_depth/√n_layer, logit_scale =
    // n_embd/dim_model_base), tied embeddings where the file has no output.weight, LongRoPE where MiniCPM4 has
    // its factors
    ArchTraits{.name = "minicpm", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::Normal,
               .learned_positions = false, .fused_qkv = false, .granite_scales = true, .minicpm_scales = true},
    // OpenBMB MiniCPM3-4B: DeepSeek-V2's multi-head latent attention (a low-rank query, NeoX RoPE on each
    // head's last rope dimensions, LongRoPE's factors) with dense SwiGLU FFNs and MiniCPM's multipliers
    ArchTraits{.name = "minicpm3", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .granite_scales = true, .mla = true,
               .minicpm_scales = true, .mla_whole_kv_b = true},
    // Microsoft Phi-3.5-MoE: phi3's attention (q, k and v apart or packed, with biases; NeoX RoPE with
    // LongRoPE), norms with biases (run as llama.cpp runs them: rms_norm_bias), 16 SwiGLU experts chosen two
    // at a time by softmax and renormalized (as llama.cpp's build_moe_ffn: not Hugging Face's sparsemixer),
    // a biased classifier
    ArchTraits{.name = "phimoe", .norm = NormKind::Rms, .ffn = FfnKind::SwiGlu, .rope = RopeKind::NeoX,
               .learned_positions = false, .fused_qkv = false, .packed_qkv = true, .rms_norm_bias = true},
    ArchTraits{"gpt-oss", NormKind::Rms,  FfnKind::SwiGluOai, RopeKind::NeoX, false, false, false, false, false, false,
               false, 2, true, true, true, "post_attention_norm"},
    // clang-format on
};
}  // namespace

std::span<const ArchTraits> supported_architectures() {
  return kArchitectures;
}

const ArchTraits& architecture_traits(std::string_view name) {
  for (const auto& a : kArchitectures)
    if (a.name == name) return a;
  std::string supported;
  for (const auto& a : kArchitectures) supported += (supported.empty() ? "" : ", ") + std::string(a.name);
  throw std::runtime_error("unsupported architecture '" + std::string(name) + "' (supported: " + supported +
                           ")");
}

}  // namespace glasswing::model
