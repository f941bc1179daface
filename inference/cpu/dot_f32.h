#pragma once
// f32 dot products and axpy, the inner loops of prefill and attention: AVX2/FMA when the CPU has it (checked
// once at run time), portable C++ otherwise.
#include <cstdint>

namespace glasswing::cpu {

// Σ a[i]·b[i], i < n.
float dot(const float* a, const float* b, int64_t n);

// out[k] = rows[k] · x for k < 4: four rows against one input, so x is read once for all four.
void dot4(const float* const rows[4], const float* x, int64_t n, float out[4]);

// dot4 against two inputs at once (out0 for x0, out1 for x1), with the same result bits as two dot4 calls:
// eight independent sums keep both FMA units busy where dot4's four wait on each other's latency.
void dot4x2(const float* const rows[4], const float* x0, const float* x1, int64_t n, float out0[4],
            float out1[4]);

// y[i] += a·x[i], i < n.
void axpy(float* y, float a, const float* x, int64_t n);

}  // namespace glasswing::cpu
