#pragma once
// How an engine rounds between its f32 operations; shared by the CPU engine (inference/cpu/cpu_backend.h)
// and the Vulkan engine (inference/vulkan/exact_forward.h), registered as "<engine>-llamacpp".
namespace glasswing::model {

enum class Rounding {
  Fast,      // plain f32 throughout (the default)
  LlamaCpp,  // reference-compatible: the roundings llama.cpp's CPU backend makes (8-bit/fp16 mat-mul
             // activations, fp16 KV cache, query and softmax probabilities, fp16 GELU table;
             // inference/cpu/ggml_rounding.h) and its x86 AVX2 f32 arithmetic (summation order, exp
             // approximation, FMA RoPE; inference/cpu/ggml_kernels.h). Reproduces the shared reference logits
             // bit for bit; much slower. For comparisons with llama.cpp, not for chat.
};

}  // namespace glasswing::model
