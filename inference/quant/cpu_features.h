#pragma once
// What the x86 CPU (and the OS) support, read with cpuid: the same answers on gcc and clang (clang's
// __builtin_cpu_supports does not know "f16c"). All false on other architectures.
namespace glasswing::quant {

bool cpu_has_f16c();           // F16C, with the OS saving the YMM registers (its VEX encoding needs them)
bool cpu_has_avx2_fma_f16c();  // AVX2 + FMA + F16C: what the fused dot kernels use

}  // namespace glasswing::quant
